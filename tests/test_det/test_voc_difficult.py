"""VOC07+12 Faster R-CNN trains on "difficult" boxes, as detectron2's VOC loader (MoCo's
protocol) does; at test they stay ignored, as VOC07 AP wants."""
import os
import os.path as osp

import numpy as np
from mmcv import imwrite
from mmdet.registry import DATASETS
from mmdet.utils import register_all_modules
from mmengine.config import Config

import mls_mm.det  # noqa: F401

CONFIG = 'configs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4-syncbn_ms-24k_voc0712.py'
# (name, difficult, box): a normal box, a difficult one, and a normal one below bbox_min_size
OBJECTS = [('dog', 0, (11, 21, 200, 180)), ('cat', 1, (250, 40, 400, 300)),
           ('car', 0, (5, 300, 12, 310))]


def _voc(root):
    for year in ('VOC2007', 'VOC2012'):
        for sub in ('ImageSets/Main', 'Annotations', 'JPEGImages'):
            os.makedirs(osp.join(root, year, sub))
        imwrite(np.full((375, 500, 3), 127, np.uint8), osp.join(root, year, 'JPEGImages/a.jpg'))
        objects = ''.join(
            f'<object><name>{name}</name><difficult>{hard}</difficult><bndbox><xmin>{x1}</xmin>'
            f'<ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>'
            for name, hard, (x1, y1, x2, y2) in OBJECTS)
        with open(osp.join(root, year, 'Annotations/a.xml'), 'w') as f:
            f.write('<annotation><size><width>500</width><height>375</height><depth>3</depth>'
                    f'</size>{objects}</annotation>')
        with open(osp.join(root, year, 'ImageSets/Main/trainval.txt'), 'w') as f:
            f.write('a\n')


def test_the_voc_config_trains_on_difficult_boxes(repo_root, tmp_path):
    register_all_modules()
    root = str(tmp_path / 'VOCdevkit')
    _voc(root)
    cfg = Config.fromfile(osp.join(repo_root, CONFIG))
    train_sets = cfg.train_dataloader.dataset.datasets
    assert [d.type for d in train_sets] == ['VOCTrainOnDifficultDataset'] * 2
    for dataset_cfg in train_sets:
        dataset_cfg.data_root = root
        dataset_cfg.filter_cfg = dict(filter_empty_gt=True, min_size=32, bbox_min_size=10)
        ours = DATASETS.build(dataset_cfg)
        mmdet = DATASETS.build({**dataset_cfg, 'type': 'VOCDataset'})
        # mmdet ignores the difficult box and the tiny one; the protocol only the tiny one
        assert [i['ignore_flag'] for i in mmdet.get_data_info(0)['instances']] == [0, 1, 1]
        assert [i['ignore_flag'] for i in ours.get_data_info(0)['instances']] == [0, 0, 1]
        assert [i['difficult'] for i in ours.get_data_info(0)['instances']] == [0, 1, 0]
        gt = ours[0]['data_samples'].gt_instances
        assert sorted(gt.labels.tolist()) == sorted(
            ours.metainfo['classes'].index(n) for n in ('dog', 'cat'))
        assert len(mmdet[0]['data_samples'].gt_instances) == 1


def test_at_test_time_difficult_boxes_stay_ignored(tmp_path):
    register_all_modules()
    root = str(tmp_path / 'VOCdevkit')
    _voc(root)
    dataset = DATASETS.build(dict(
        type='VOCTrainOnDifficultDataset', data_root=root, test_mode=True,
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'), pipeline=[]))
    assert [i['ignore_flag'] for i in dataset.get_data_info(0)['instances']] == [0, 1, 0]
