"""Unlabelled images of one COCO-layout split, for self-supervised pretraining."""
import glob
import os.path as osp
from typing import List, Optional

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .coco_utils import coco_image_labels, load_coco_json

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png')


@DATASETS.register_module()
class CocoImageDataset(BaseDataset):
    """The images of a COCO-layout split (``<data_root>/train2017/*.jpg``), labels unused.

    Reads real COCO and the built-in scenes (same layout) alike. Without ``ann_file`` every
    image file in the folder is used, sorted by name. With ``ann_file`` the image list comes
    from the annotation file (``images[*].file_name``), and ``filter_empty`` keeps only images
    with at least one annotation (117,266 of COCO train2017's 118,287).

    Args:
        data_root (str): Dataset root, e.g. ``data/coco/``.
        data_prefix (str | dict): Image folder relative to ``data_root``.
            Defaults to ``'train2017/'``.
        ann_file (str): COCO instances file relative to ``data_root``; ``''`` lists the folder.
            Defaults to ``''``.
        filter_empty (bool): Keep only images with >= 1 annotation (needs ``ann_file``).
            Defaults to False.
        with_labels (bool): Add ``gt_label`` (sorted class indices of the image's objects) to
            each sample, for monitoring only (e.g. pseudo-label precision); never needed by
            the losses. Needs ``ann_file``. Defaults to False.
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset` (``pipeline``, ...).
    """

    def __init__(self,
                 data_root: str,
                 data_prefix='train2017/',
                 ann_file: str = '',
                 filter_empty: bool = False,
                 with_labels: bool = False,
                 **kwargs):
        if not osp.isdir(data_root):
            raise FileNotFoundError(f'data_root not found: {data_root}')
        if (filter_empty or with_labels) and not ann_file:
            raise ValueError('filter_empty=True and with_labels=True need an ann_file '
                             '(e.g. ann_file="annotations/instances_train2017.json")')
        self.filter_empty = filter_empty
        self.with_labels = with_labels
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix['img_path']
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'image folder not found: {img_dir}')
        if not self.ann_file:
            files = sorted(f for f in glob.glob(osp.join(img_dir, '*'))
                           if f.lower().endswith(IMAGE_EXTENSIONS))
            if not files:
                raise FileNotFoundError(f'no {"/".join(IMAGE_EXTENSIONS)} images in {img_dir}')
            return [dict(img_path=f) for f in files]
        coco = load_coco_json(self.ann_file)
        labels = coco_image_labels(coco)
        data_list = []
        for img in coco['images']:
            if self.filter_empty and not labels[img['id']]:
                continue
            info = dict(img_path=osp.join(img_dir, img['file_name']), img_id=img['id'])
            if self.with_labels:
                info['gt_label'] = labels[img['id']]
            data_list.append(info)
        if not data_list:
            raise ValueError(f'no images left from {self.ann_file} '
                             f'(filter_empty={self.filter_empty})')
        return data_list
