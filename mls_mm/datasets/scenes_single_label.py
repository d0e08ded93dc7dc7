"""A single-label task on the built-in scenes: each image's largest object, or its scene type."""
import os.path as osp
from typing import List

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .coco_utils import load_coco_json
from .scene_generator import CATEGORIES, SCENE_TYPES

LABELS = ('largest_category', 'scene_type')


@DATASETS.register_module()
class ScenesSingleLabelDataset(BaseDataset):
    """One class per image of a scenes instances file (``tools/generate_scenes.py``).

    ``label='largest_category'`` (12 classes, :data:`CATEGORIES` order): the category of the
    instance with the largest visible area (``area`` of its annotation; ties go to the
    earliest annotation); images without an instance are left out. ``label='scene_type'``
    (4 classes, :data:`SCENE_TYPES` order): the ``scene_type`` stored in each image entry.

    Args:
        ann_file (str): Instances file, relative to ``data_root``, e.g.
            ``'annotations/instances_train2017.json'``.
        data_root (str): Dataset root (e.g. ``'data/scenes/'``).
        data_prefix (str): Image folder relative to ``data_root``, e.g. ``'train2017'``.
        label (str): ``'largest_category'`` or ``'scene_type'``. Defaults to
            ``'largest_category'``.
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset`.
    """

    def __init__(self, ann_file: str, data_root: str, data_prefix: str = '',
                 label: str = 'largest_category', **kwargs):
        if label not in LABELS:
            raise ValueError(f'ScenesSingleLabelDataset: label must be one of {LABELS}, '
                             f'got {label!r}')
        if not osp.isdir(data_root):
            raise FileNotFoundError(f'ScenesSingleLabelDataset: data_root not found: '
                                    f'{data_root}')
        self.label = label
        classes = CATEGORIES if label == 'largest_category' else tuple(SCENE_TYPES)
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         metainfo=dict(classes=classes), **kwargs)

    def load_data_list(self) -> List[dict]:
        coco = load_coco_json(self.ann_file)
        img_dir = self.data_prefix['img_path']
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'ScenesSingleLabelDataset: image folder not found: '
                                    f'{img_dir}')
        names = tuple(c['name'] for c in coco['categories'])
        if names != CATEGORIES:
            raise ValueError(f'ScenesSingleLabelDataset: {self.ann_file} has categories '
                             f'{names}, not those of the built-in scenes {CATEGORIES}')
        cat_index = {c['id']: i for i, c in enumerate(coco['categories'])}
        largest = {}  # image id -> (area, category index)
        for ann in coco.get('annotations', []):
            best = largest.get(ann['image_id'])
            if best is None or ann['area'] > best[0]:
                largest[ann['image_id']] = (ann['area'], cat_index[ann['category_id']])
        scene_index = {name: i for i, name in enumerate(SCENE_TYPES)}
        data_list = []
        for img in coco['images']:
            if self.label == 'scene_type':
                gt_label = scene_index[img['scene_type']]
            elif img['id'] in largest:
                gt_label = largest[img['id']][1]
            else:
                continue
            data_list.append(dict(img_path=osp.join(img_dir, img['file_name']),
                                  img_id=img['id'], gt_label=gt_label))
        return data_list
