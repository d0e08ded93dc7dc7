"""Indoor67 (official split files) and ScenesSingleLabelDataset, against independent counts."""
import json
import os
import os.path as osp

import pycocotools.mask as mask_utils
import pytest

from mls_mm.datasets import CATEGORIES, SCENE_TYPES
from mls_mm.datasets.indoor67 import Indoor67
from mls_mm.datasets.scenes_single_label import ScenesSingleLabelDataset

from tools.benchmarks.cls_layouts import INDOOR_CLASSES, INDOOR_FOLDERS, indoor67


def test_indoor67_labels_are_the_class_folders(tmp_path):
    root = str(tmp_path / 'Indoor67')
    written = indoor67(root)
    for split, ann in (('train', 'TrainImages.txt'), ('test', 'TestImages.txt')):
        ds = Indoor67(data_root=root, ann_file=ann, lazy_init=False)
        assert ds.CLASSES == tuple(sorted(INDOOR_FOLDERS))
        lines = open(osp.join(root, ann)).read().split()
        assert [ds.get_data_info(i)['img_path'] for i in range(len(ds))] == \
            [osp.join(root, 'Images', line) for line in lines]
        assert [ds.get_data_info(i)['gt_label'] for i in range(len(ds))] == written[split]
        assert [ds.CLASSES[c] for c in written[split]] == [ln.split('/')[0] for ln in lines]


def test_indoor67_refuses_bad_layouts(tmp_path):
    root = str(tmp_path / 'Indoor67')
    indoor67(root)
    with open(osp.join(root, 'TrainImages.txt'), 'a') as f:
        f.write('no_such_class/x.jpg\n')
    with pytest.raises(ValueError, match=r"line 5 'no_such_class/x.jpg'"):
        Indoor67(data_root=root, ann_file='TrainImages.txt')
    with pytest.raises(FileNotFoundError, match='Missing.txt'):
        Indoor67(data_root=root, ann_file='Missing.txt')
    os.rmdir(osp.join(root, 'Images', 'class_60'))
    with pytest.raises(ValueError, match='has 66 class folders'):
        Indoor67(data_root=root, ann_file='TestImages.txt')
    with pytest.raises(FileNotFoundError, match='nowhere'):
        Indoor67(data_root=str(tmp_path / 'nowhere'), ann_file='TestImages.txt')
    assert INDOOR_CLASSES[0] == 'airport_inside'


def test_scenes_single_label_from_the_masks(scenes_root):
    ann = 'annotations/instances_val2017.json'
    with open(osp.join(scenes_root, ann)) as f:
        coco = json.load(f)
    best = {}
    for a in coco['annotations']:  # visible pixels counted from the RLE masks
        pixels = int(mask_utils.decode(a['segmentation']).sum())
        if a['image_id'] not in best or pixels > best[a['image_id']][0]:
            best[a['image_id']] = (pixels, a['category_id'] - 1)
    ds = ScenesSingleLabelDataset(ann_file=ann, data_root=scenes_root, data_prefix='val2017')
    assert ds.CLASSES == CATEGORIES and len(ds) == len(best) == 16
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert info['gt_label'] == best[info['img_id']][1]
        assert osp.isfile(info['img_path'])
    scenes = ScenesSingleLabelDataset(ann_file=ann, data_root=scenes_root,
                                      data_prefix='val2017', label='scene_type')
    assert scenes.CLASSES == tuple(SCENE_TYPES)
    assert [scenes.CLASSES[scenes.get_data_info(i)['gt_label']] for i in range(16)] == \
        [img['scene_type'] for img in coco['images']]


def test_scenes_single_label_errors(scenes_root, tmp_path):
    ann = 'annotations/instances_val2017.json'
    with pytest.raises(FileNotFoundError, match='not_here'):
        ScenesSingleLabelDataset(ann_file=ann, data_root=str(tmp_path / 'not_here'))
    with pytest.raises(FileNotFoundError, match='valX'):
        ScenesSingleLabelDataset(ann_file=ann, data_root=scenes_root, data_prefix='valX')
    with pytest.raises(ValueError, match="label must be one of"):
        ScenesSingleLabelDataset(ann_file=ann, data_root=scenes_root, label='colour')
