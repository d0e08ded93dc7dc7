"""Built-in multi-object scene dataset, written in COCO's layout.

``generate_scenes(out_dir)`` writes::

    out_dir/train2017/000000000001.jpg ...
    out_dir/val2017/...
    out_dir/annotations/instances_train2017.json   (COCO instances: bbox, RLE masks, areas)
    out_dir/annotations/instances_val2017.json
    out_dir/annotations/semantic_{train,val}2017/<image stem>.png   (label maps, for mmseg)

so that every COCO code path (pretraining folder, mmdet ``CocoDataset`` and ``CocoMetric``,
the multi-label dataset) reads it unchanged. The semantic-label maps (0 background, ``k`` the
category of id ``k``) are rendered from the instances files themselves
(:mod:`.scene_semantic`), so they agree with the masks pixel for pixel.

What makes it a *scene* dataset rather than a toy:

* 12 object categories = 4 shapes x 3 textures. Every instance gets a random dark and a
  random light grey, so neither colour nor grey level identifies a category; shape and
  texture together do. A texture's period is two fifths of its object's extent, so that it survives the
  downscaling of the 64 px training views at every object scale.
* 1 to ``max_instances`` (default 4) instances per image, at scales from ``min_scale`` to
  ``max_scale`` of the image side, drawn in sequence so that later ones occlude earlier ones.
  Boxes, masks and areas are those of the *visible* part.
* 4 scene types, each favouring 3 categories (3 different shapes, 3 different textures), so
  that categories co-occur (as forks and cups do in COCO) instead of appearing independently.
  The scene type of each image is stored in the image entry (``scene_type``); the image-level
  multi-labels are the set of category ids of its instances (:func:`image_labels`).

What it leaves out on purpose: a background that tells images apart. Every image's background
is grey blotchy noise from one distribution, so neither its colour nor its texture tells which
image (or which scene type) a crop came from; instance discrimination has to use the objects.
(Generator version 1, mls_mm 0.2, gave each image its own background colours in its scene
type's style: two crops of an image matched by background colour alone, a shortcut that
contrastive pretraining took, see docs/scenes_benchmark.md, "The data".)

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``: the same arguments
give byte-identical files.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from .coco_utils import coco_image_labels, load_coco_json
from .scene_semantic import write_semantic_maps

SHAPES = ('disc', 'square', 'triangle', 'cross')
TEXTURES = ('striped', 'checkered', 'dotted')
CATEGORIES = tuple(f'{texture}_{shape}' for shape in SHAPES for texture in TEXTURES)
GENERATOR_VERSION = 2  # 1: per-image backgrounds in the scene type's style (mls_mm 0.2)

# Scene type -> the categories it favours (weight FAVOURED_WEIGHT, the others weight 1). Each
# favours the 3 categories whose shape index plus texture index is the type's number modulo 4:
# 3 different shapes and 3 different textures, so that neither a shape nor a texture alone
# tells the scene type, while the categories co-occur as forks and cups do in COCO.
SCENE_TYPES = {
    name: tuple(c for c in range(len(CATEGORIES))
                if (c // len(TEXTURES) + c % len(TEXTURES)) % 4 == number)
    for number, name in enumerate(('kitchen', 'street', 'park', 'office'))
}
FAVOURED_WEIGHT = 8.0

# Objects are drawn in two grey levels, one dark and one light, random per instance: contrast
# carries the texture, and no hue tells an instance (or an image) apart. With hues (a palette
# of 10 shared by all images, measured on 2,048 images, 640 steps of a supervised multi-label
# ResNet-18): val mAP 30.3 with hues against 56.1 in grey; at this budget the network spends
# itself on colour invariance. Colour jitter and grayscale stay in the views, as on COCO.
DARK, LIGHT = (0, 90), (166, 256)  # ranges of the two grey levels
BACKGROUND_MEAN, BACKGROUND_STD = 128.0, 10.0  # grey level of every image's background

MIN_VISIBLE_AREA = 16  # pixels; smaller visible parts are dropped, as COCO has no such slivers


def category_prior(scene_type: str) -> np.ndarray:
    """Probability of each category (in CATEGORIES order) in a scene of the given type."""
    weights = np.ones(len(CATEGORIES))
    weights[list(SCENE_TYPES[scene_type])] = FAVOURED_WEIGHT
    return weights / weights.sum()


def _check_args(num_train, num_val, image_size, max_instances, min_scale, max_scale):
    if num_train < 1:
        raise ValueError(f'num_train must be >= 1, got {num_train}')
    if num_val < 0:
        raise ValueError(f'num_val must be >= 0, got {num_val}')
    if image_size < 32:
        raise ValueError(f'image_size must be >= 32 pixels, got {image_size}')
    if not 1 <= max_instances <= 6:
        raise ValueError(f'max_instances must be in [1, 6], got {max_instances}')
    if not 0 < min_scale <= max_scale <= 1:
        raise ValueError('need 0 < min_scale <= max_scale <= 1, got '
                         f'min_scale={min_scale}, max_scale={max_scale}')


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Grey, low-contrast blotchy noise from one distribution for every image.

    Neither its mean colour nor its texture differs between images, so the background of a
    crop does not tell which image (or scene type) it came from.
    """
    coarse = rng.normal(0, 1, size=(max(2, size // 8),) * 2).astype(np.float32)
    smooth = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    smooth /= max(float(smooth.std()), 1e-6)
    fine = rng.normal(0, 0.5, size=(size, size)).astype(np.float32)
    grey = BACKGROUND_MEAN + BACKGROUND_STD * (smooth + fine) / np.sqrt(1.25)
    return np.repeat(np.clip(grey, 0, 255)[..., None], 3, axis=2).astype(np.uint8)


def _texture(rng: np.random.Generator, texture: str, size: int, side: int) -> np.ndarray:
    """A (size, size, 3) uint8 texture in a dark and a light grey whose period is two fifths of
    ``side`` (at least 6 px): an object shows about 2.5 periods at any scale, and its stripes,
    checks and dots stay 2 px or wider in a 64 px view of the whole image."""
    levels = [int(rng.integers(*DARK)), int(rng.integers(*LIGHT))]
    if rng.random() < 0.5:
        levels.reverse()
    c1, c2 = (np.full(3, level, np.int64) for level in levels)
    yy, xx = np.mgrid[0:size, 0:size]
    period = max(6.0, 2 * side / 5.0)
    if texture == 'striped':
        angle = rng.uniform(0, np.pi)
        proj = xx * np.cos(angle) + yy * np.sin(angle)
        sel = (proj // (period / 2)) % 2 == 0
    elif texture == 'checkered':
        sel = ((yy // (period / 2)) + (xx // (period / 2))) % 2 == 0
    else:  # dotted
        cy, cx = (yy % period) - period / 2, (xx % period) - period / 2
        sel = cy ** 2 + cx ** 2 > (0.3 * period) ** 2
    return np.where(sel[..., None], c1, c2).astype(np.uint8)


def _shape_mask(rng: np.random.Generator, shape: str, size: int, side: int) -> np.ndarray:
    """A (size, size) bool mask of one shape of extent ``side`` at a random position."""
    mask = np.zeros((size, size), np.uint8)
    x0 = int(rng.integers(-side // 4, size - 3 * side // 4 + 1))
    y0 = int(rng.integers(-side // 4, size - 3 * side // 4 + 1))
    cx, cy, r = x0 + side / 2, y0 + side / 2, side / 2
    if shape == 'disc':
        cv2.circle(mask, (int(round(cx)), int(round(cy))), int(round(r)), 1, -1)
    elif shape == 'square':
        angle = rng.uniform(0, np.pi / 2)
        pts = [(cx + r * 0.9 * np.cos(angle + k * np.pi / 2) * np.sqrt(2) * 0.75,
                cy + r * 0.9 * np.sin(angle + k * np.pi / 2) * np.sqrt(2) * 0.75)
               for k in range(4)]
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    elif shape == 'triangle':
        angle = rng.uniform(0, 2 * np.pi)
        pts = [(cx + r * np.cos(angle + k * 2 * np.pi / 3),
                cy + r * np.sin(angle + k * 2 * np.pi / 3)) for k in range(3)]
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    else:  # cross
        w = max(2, int(round(side / 3)))
        cv2.rectangle(mask, (x0, int(round(cy - w / 2))), (x0 + side, int(round(cy + w / 2))), 1, -1)
        cv2.rectangle(mask, (int(round(cx - w / 2)), y0), (int(round(cx + w / 2)), y0 + side), 1, -1)
    return mask.astype(bool)


def _render_image(rng, size, max_instances, min_scale, max_scale):
    scene_type = list(SCENE_TYPES)[int(rng.integers(len(SCENE_TYPES)))]
    prior = category_prior(scene_type)
    img = _background(rng, size)
    num = int(rng.integers(1, max_instances + 1))
    cats, masks = [], []
    for _ in range(num):
        cat = int(rng.choice(len(CATEGORIES), p=prior))
        texture, shape = CATEGORIES[cat].split('_')
        side = max(8, int(round(size * rng.uniform(min_scale, max_scale))))
        mask = _shape_mask(rng, shape, size, side)
        img[mask] = _texture(rng, texture, size, side)[mask]
        for earlier in masks:  # the new instance occludes what was drawn before
            earlier &= ~mask
        cats.append(cat)
        masks.append(mask)
    kept = [(c, m) for c, m in zip(cats, masks) if m.sum() >= MIN_VISIBLE_AREA]
    return img, scene_type, kept


def _split(out_dir, split, num_images, first_id, first_ann_id, rng, size, max_instances,
           min_scale, max_scale):
    img_dir = osp.join(out_dir, f'{split}2017')
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    ann_id = first_ann_id
    for image_id in range(first_id, first_id + num_images):
        img, scene_type, instances = _render_image(rng, size, max_instances, min_scale, max_scale)
        file_name = f'{image_id:012d}.jpg'
        if not cv2.imwrite(osp.join(img_dir, file_name), img, [cv2.IMWRITE_JPEG_QUALITY, 95]):
            raise OSError(f'could not write {osp.join(img_dir, file_name)}')
        images.append(dict(id=image_id, file_name=file_name, height=size, width=size,
                           scene_type=scene_type))
        for cat, mask in instances:
            rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
            bbox = [float(v) for v in mask_utils.toBbox(rle)]
            rle['counts'] = rle['counts'].decode('ascii')
            annotations.append(dict(id=ann_id, image_id=image_id, category_id=cat + 1,
                                    segmentation=rle, area=float(mask_utils.area(rle)),
                                    bbox=bbox, iscrowd=0))
            ann_id += 1
    coco = dict(
        info=dict(description='mls_mm built-in scenes', version='1.0'),
        licenses=[],
        images=images,
        annotations=annotations,
        categories=[dict(id=i + 1, name=name, supercategory=name.split('_')[1])
                    for i, name in enumerate(CATEGORIES)])
    ann_dir = osp.join(out_dir, 'annotations')
    os.makedirs(ann_dir, exist_ok=True)
    with open(osp.join(ann_dir, f'instances_{split}2017.json'), 'w') as f:
        json.dump(coco, f)
    return ann_id


def generate_scenes(out_dir: str,
                    num_train: int = 2048,
                    num_val: int = 256,
                    image_size: int = 128,
                    max_instances: int = 4,
                    min_scale: float = 0.3,
                    max_scale: float = 0.6,
                    seed: int = 0) -> Dict[str, str]:
    """Write the built-in scene dataset to ``out_dir`` in COCO's layout, with the
    semantic-label maps of every image (see :mod:`.scene_semantic`).

    Args:
        out_dir (str): Dataset root (created if missing).
        num_train (int): Images in ``train2017``. Defaults to 2048.
        num_val (int): Images in ``val2017``. Defaults to 256.
        image_size (int): Side of the square images in pixels. Defaults to 128.
        max_instances (int): At most this many instances per image (1 to 6). Defaults to 4.
        min_scale (float): Smallest instance extent as a fraction of the side. Defaults to 0.3.
        max_scale (float): Largest instance extent as a fraction of the side. Defaults to 0.6.
        seed (int): Seed of the only random generator used. Defaults to 0.

    Returns:
        dict: Paths of the two annotation files, keyed by split.
    """
    _check_args(num_train, num_val, image_size, max_instances, min_scale, max_scale)
    rng = np.random.default_rng(seed)
    next_ann = _split(out_dir, 'train', num_train, 1, 1, rng, image_size, max_instances,
                      min_scale, max_scale)
    _split(out_dir, 'val', num_val, num_train + 1, next_ann, rng, image_size, max_instances,
           min_scale, max_scale)
    for split in ('train', 'val'):
        write_semantic_maps(out_dir, split)
    return {split: osp.join(out_dir, 'annotations', f'instances_{split}2017.json')
            for split in ('train', 'val')}


def image_labels(ann_file: str) -> Dict[int, List[int]]:
    """Image id -> sorted class indices of its objects, read from a COCO instances file."""
    return coco_image_labels(load_coco_json(ann_file))


def multi_hot(labels: Sequence[int], num_classes: int) -> np.ndarray:
    """(num_classes,) uint8 vector with ones at ``labels``."""
    out = np.zeros(num_classes, np.uint8)
    out[list(labels)] = 1
    return out
