"""The real COCO configs build and run one iteration on a COCO-layout folder."""
import os
import os.path as osp
import shutil

import pytest
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

import mls_mm  # noqa: F401
from mls_mm.utils import load_config

RUN_ONE_ITER = [
    'configs/mocov2/mocov2_resnet50_8xb32-coslr-200e_coco.py',
    'configs/simsiam/simsiam_resnet50_8xb32-coslr-200e_coco.py',
    'configs/mls/mls_resnet50_8xb32-coslr-400e_coco.py',
    'configs/bam/bam_resnet50_2xb62-coslr-400e_coco.py',
]
BUILD_ONLY = [
    'configs/mocov2/mocov2_resnet50_8xb32-coslr-800e_coco.py',
    'configs/mls/mls_resnet50_8xb32-coslr-800e_coco.py',
]


@pytest.fixture(scope='module')
def coco_root(scenes_root, tmp_path_factory):
    """data/coco/{train2017, annotations/instances_train2017.json}, from the scenes."""
    root = tmp_path_factory.mktemp('data') / 'coco'
    shutil.copytree(osp.join(scenes_root, 'train2017'), root / 'train2017')
    shutil.copytree(osp.join(scenes_root, 'annotations'), root / 'annotations')
    return str(root)


ANN_FILE = 'annotations/instances_train2017.json'


# every config with the annotation file; the folder-listing path (ann_file='') once
@pytest.mark.parametrize('config,ann_file', [(c, ANN_FILE) for c in RUN_ONE_ITER] +
                         [(RUN_ONE_ITER[0], '')])
def test_coco_config_runs_one_iteration(repo_root, coco_root, tmp_path, config, ann_file):
    cfg = load_config(osp.join(repo_root, config), work_dir=str(tmp_path), cfg_options={
        'train_dataloader.dataset.data_root': coco_root,
        'train_dataloader.dataset.ann_file': ann_file,
        'train_dataloader.dataset.indices': 2,
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_cfg.max_epochs': 1,
        'default_hooks.logger.interval': 1,
    })
    assert cfg.model.backbone.depth == 50
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))


@pytest.mark.parametrize('config', BUILD_ONLY)
def test_long_schedules_build(repo_root, config):
    cfg = load_config(osp.join(repo_root, config))
    assert cfg.train_cfg.max_epochs == 800
    assert cfg.param_scheduler[0].T_max == 800
    MODELS.build(cfg.model)


@pytest.fixture(scope='module')
def voc_root(scenes_root, tmp_path_factory):
    """VOCdevkit/VOC2012/{JPEGImages, Annotations, ImageSets/Main/trainval.txt}."""
    root = tmp_path_factory.mktemp('voc') / 'VOCdevkit' / 'VOC2012'
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (root / sub).mkdir(parents=True)
    names = sorted(os.listdir(osp.join(scenes_root, 'train2017')))[:4]
    for name in names:
        stem = osp.splitext(name)[0]
        shutil.copy(osp.join(scenes_root, 'train2017', name), root / 'JPEGImages' / name)
        (root / 'Annotations' / f'{stem}.xml').write_text(
            '<annotation><object><name>person</name><difficult>0</difficult>'
            '</object></annotation>')
    (root / 'ImageSets' / 'Main' / 'trainval.txt').write_text(
        '\n'.join(osp.splitext(n)[0] for n in names) + '\n')
    return str(root)


def test_voc_config_runs_one_iteration(repo_root, voc_root, tmp_path):
    cfg = load_config(
        osp.join(repo_root, 'configs/bam/bam_resnet50_2xb64-coslr-100e_voc12.py'),
        work_dir=str(tmp_path), cfg_options={
            'train_dataloader.dataset.data_root': voc_root,
            'train_dataloader.dataset.indices': 2,
            'train_dataloader.batch_size': 2,
            'train_dataloader.num_workers': 0,
            'train_dataloader.persistent_workers': False,
            'train_cfg.max_epochs': 1,
        })
    assert cfg.train_dataloader.dataset.pipeline[1].overlap == 0.2
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
