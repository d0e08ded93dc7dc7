"""VOC07 fine-tuning trains difficult labels as positives (Cao & Wu's main_voc.py: target >= 0)
and leaves them ignored at test."""
import os
import os.path as osp

from mmengine.config import Config
from mmpretrain.registry import DATASETS

import mls_mm  # noqa: F401

CONFIG = 'configs/benchmarks/classification/voc07/resnet50_finetune-4xb16-coslr-120e_voc07.py'
# one image: a normal dog, a difficult cat, and a car seen both normal and difficult
OBJECTS = [('dog', 0), ('cat', 1), ('car', 0), ('car', 1)]


def _voc(root):
    for sub in ('ImageSets/Main', 'Annotations', 'JPEGImages'):
        os.makedirs(osp.join(root, sub))
    objects = ''.join(f'<object><name>{n}</name><difficult>{d}</difficult></object>'
                      for n, d in OBJECTS)
    with open(osp.join(root, 'Annotations/a.xml'), 'w') as f:
        f.write(f'<annotation>{objects}</annotation>')
    for split in ('trainval', 'test'):
        with open(osp.join(root, f'ImageSets/Main/{split}.txt'), 'w') as f:
            f.write('a\n')


def test_difficult_labels_are_training_positives_only(repo_root, tmp_path):
    root = str(tmp_path / 'VOC2007')
    _voc(root)
    cfg = Config.fromfile(osp.join(repo_root, CONFIG))
    classes = DATASETS.get('VOC').METAINFO['classes']
    idx = {n: classes.index(n) for n in ('dog', 'cat', 'car')}
    train_cfg = dict(cfg.train_dataloader.dataset, data_root=root, pipeline=[])
    assert train_cfg['type'] == 'VOCDifficultAsPositive'
    train = DATASETS.build(train_cfg).get_data_info(0)
    assert sorted(train['gt_label']) == sorted(idx.values())
    plain = DATASETS.build(dict(train_cfg, type='VOC')).get_data_info(0)
    assert sorted(plain['gt_label']) == sorted([idx['dog'], idx['car']])  # mmpretrain's view
    test_cfg = dict(cfg.val_dataloader.dataset, data_root=root, pipeline=[])
    test = DATASETS.build(test_cfg).get_data_info(0)
    assert sorted(test['gt_label']) == sorted([idx['dog'], idx['car']])
    assert sorted(test['gt_label_difficult']) == sorted([idx['cat'], idx['car']])
