"""Semantic-label maps rendered from a COCO instances file (the mmseg view of the scenes).

``write_semantic_maps(root, split)`` reads ``root/annotations/instances_{split}2017.json`` and
writes one label map per image::

    root/annotations/semantic_{split}2017/<image file stem>.png   (uint8, H x W)

Label convention, that of mmseg's VOC-style datasets with ``reduce_zero_label=False``:

* ``0`` (:data:`BACKGROUND`) is background, a class of its own that mIoU counts;
* ``i + 1`` is the ``i``-th entry of the file's ``categories`` list (for the built-in scenes
  ``i + 1`` equals the COCO ``category_id``, 1 to 12, so ``CATEGORIES[label - 1]`` names it);
* ``255`` (:data:`IGNORE_INDEX`, mmseg's default ``ignore_index``) marks crowd regions; the
  built-in scenes have none.

The maps are painted from the very RLE masks of the instances file, in annotation order (later
annotations win where masks overlap; the visible masks of the built-in scenes never overlap),
so every category's pixel count in a map equals the summed ``area`` of that image's annotations
of the category. Visible parts smaller than the generator's ``MIN_VISIBLE_AREA`` have no
annotation and are therefore background here too.
"""
import os
import os.path as osp
from typing import Dict, Sequence

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from .coco_utils import load_coco_json

BACKGROUND = 0
IGNORE_INDEX = 255


def semantic_dir(root: str, split: str) -> str:
    """Folder of the label maps of ``split`` ('train' or 'val')."""
    return osp.join(root, 'annotations', f'semantic_{split}2017')


def _ann_mask(ann: dict, height: int, width: int) -> np.ndarray:
    seg = ann['segmentation']
    if isinstance(seg, list):  # polygons
        rle = mask_utils.merge(mask_utils.frPyObjects(seg, height, width))
    elif isinstance(seg['counts'], list):  # uncompressed RLE
        rle = mask_utils.frPyObjects(seg, height, width)
    else:
        rle = seg
    return mask_utils.decode(rle).astype(bool)


def semantic_map(anns: Sequence[dict], height: int, width: int,
                 cat_to_label: Dict[int, int]) -> np.ndarray:
    """(height, width) uint8 label map of one image's annotations (see the module docstring)."""
    out = np.full((height, width), BACKGROUND, np.uint8)
    for ann in anns:
        label = IGNORE_INDEX if ann.get('iscrowd', 0) else cat_to_label[ann['category_id']]
        out[_ann_mask(ann, height, width)] = label
    return out


def write_semantic_maps(root: str, split: str) -> str:
    """Render the label maps of every image of ``split``; returns their folder."""
    coco = load_coco_json(osp.join(root, 'annotations', f'instances_{split}2017.json'))
    if len(coco['categories']) >= IGNORE_INDEX:
        raise ValueError(f'{len(coco["categories"])} categories do not fit below the ignore '
                         f'index {IGNORE_INDEX} of a uint8 label map')
    cat_to_label = {c['id']: i + 1 for i, c in enumerate(coco['categories'])}
    per_image = {img['id']: [] for img in coco['images']}
    for ann in coco.get('annotations', []):
        per_image[ann['image_id']].append(ann)
    out_dir = semantic_dir(root, split)
    os.makedirs(out_dir, exist_ok=True)
    for img in coco['images']:
        label = semantic_map(per_image[img['id']], img['height'], img['width'], cat_to_label)
        path = osp.join(out_dir, osp.splitext(img['file_name'])[0] + '.png')
        if not cv2.imwrite(path, label):
            raise OSError(f'could not write {path}')
    return out_dir


def semantic_maps_complete(root: str, splits: Sequence[str] = ('train', 'val')) -> bool:
    """Whether every image of ``splits`` under ``root`` has its label map (an older dataset
    written before the maps existed has none)."""
    for split in splits:
        img_dir, seg_dir = osp.join(root, f'{split}2017'), semantic_dir(root, split)
        if not osp.isdir(seg_dir):
            return False
        stems = {osp.splitext(f)[0] for f in os.listdir(img_dir)}
        if not stems <= {osp.splitext(f)[0] for f in os.listdir(seg_dir)}:
            return False
    return True
