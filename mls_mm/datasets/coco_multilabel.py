"""Image-level multi-label classification over a COCO-format instances file."""
import os.path as osp
from typing import List

from mmpretrain.datasets import MultiLabelDataset
from mmpretrain.registry import DATASETS

from .coco_utils import coco_image_labels, load_coco_json


@DATASETS.register_module()
class CocoMultiLabelDataset(MultiLabelDataset):
    """Multi-hot labels over the categories of a COCO instances file.

    Each image's ``gt_label`` is the sorted list of class indices (0-based, in the order of the
    file's ``categories``) of its objects; mmpretrain's ``PackInputs`` and multi-label metrics
    turn it into a multi-hot vector of length ``len(classes)``. Class names come from the file.

    Args:
        ann_file (str): COCO instances file, relative to ``data_root``.
        data_root (str): Dataset root. Defaults to ``''``.
        data_prefix (str | dict): Image folder relative to ``data_root``. Defaults to ``''``.
        filter_empty (bool): Drop images without any object. Defaults to True (an image with
            no positive label carries no signal for a multi-label classifier).
        **kwargs: Passed to :class:`mmpretrain.datasets.MultiLabelDataset`.
    """

    def __init__(self, ann_file: str, data_root: str = '', data_prefix='',
                 filter_empty: bool = True, **kwargs):
        if data_root and not osp.isdir(data_root):
            raise FileNotFoundError(f'data_root not found: {data_root}')
        self.filter_empty = filter_empty
        path = osp.join(data_root, ann_file) if data_root else ann_file
        self._coco = load_coco_json(path)
        metainfo = kwargs.pop('metainfo', None) or dict(
            classes=tuple(c['name'] for c in self._coco['categories']))
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix['img_path']
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'image folder not found: {img_dir}')
        labels = coco_image_labels(self._coco)
        return [dict(img_path=osp.join(img_dir, img['file_name']), img_id=img['id'],
                     gt_label=labels[img['id']])
                for img in self._coco['images']
                if labels[img['id']] or not self.filter_empty]
