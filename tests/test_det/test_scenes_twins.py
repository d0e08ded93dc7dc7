"""The mmdet scenes twins train a few iterations and evaluate with the real metrics."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.runner import Runner

import mls_mm  # noqa: F401
from mls_mm.datasets.scene_generator import CATEGORIES

CONFIG_DIR = 'configs/benchmarks/mmdetection'
TWINS = sorted(glob.glob(osp.join(osp.dirname(__file__), '../..', CONFIG_DIR, 'scenes',
                                  '*.py')))


def _twin_cfg(path, scenes_root, work_dir, iters=2):
    cfg = Config.fromfile(path)
    cfg.work_dir = str(work_dir)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = scenes_root
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_dataloader.dataset.indices = 4 * iters
    cfg.val_dataloader.dataset.indices = 8
    for evaluator in ('val_evaluator', 'test_evaluator'):
        if cfg[evaluator].type == 'CocoMetric':
            cfg[evaluator].ann_file = osp.join(scenes_root,
                                               'annotations/instances_val2017.json')
    cfg.model.backbone.init_cfg = None
    if 'shared_head' in cfg.model.roi_head:
        cfg.model.roi_head.shared_head.init_cfg = None
    if cfg.train_cfg.type == 'IterBasedTrainLoop':
        cfg.train_cfg.max_iters = iters
    else:
        cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 10 ** 6   # evaluated once below
    cfg.param_scheduler = cfg.param_scheduler[:1]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10 ** 6)
    cfg.default_hooks.logger.interval = 1
    return cfg


def test_every_real_config_has_a_twin(repo_root):
    real = sorted(glob.glob(osp.join(repo_root, CONFIG_DIR, '[!_s]*', '*.py')))
    assert len(real) == 4 and len(TWINS) == 4
    for path in TWINS:
        with open(path) as f:
            first_line = f.readline()
        assert any(osp.basename(r) in first_line for r in real), path


def test_twin_classes_are_the_generator_categories(repo_root):
    cfg = Config.fromfile(osp.join(repo_root, CONFIG_DIR, '_base_/scenes_instance.py'))
    assert tuple(cfg.scenes_metainfo['classes']) == CATEGORIES


@pytest.mark.parametrize('path', TWINS, ids=[osp.basename(p) for p in TWINS])
def test_scenes_twin_trains_and_evaluates(path, scenes_root, tmp_path):
    torch.manual_seed(0)
    runner = Runner.from_cfg(_twin_cfg(path, scenes_root, tmp_path))
    before = {k: v.clone() for k, v in runner.model.state_dict().items()
              if k.startswith('rpn_head')}
    runner.train()
    after = runner.model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before), 'no training step'
    metrics = runner.val()
    keys = (['pascal_voc/mAP', 'pascal_voc/AP50'] if 'faster-rcnn' in path
            else ['coco/bbox_mAP', 'coco/segm_mAP', 'coco/bbox_mAP_50'])
    for key in keys:
        assert key in metrics, sorted(metrics)
        value = metrics[key]
        assert np.isfinite(value) and (0 <= value <= 1 or value == -1), (key, value)


@pytest.mark.parametrize('path', TWINS, ids=[osp.basename(p) for p in TWINS])
def test_test_time_proposals_do_not_change_training(path, scenes_root, tmp_path):
    """The twins evaluate fewer RPN proposals than they train on (scenes_instance.py); the
    training loss must come from ``train_cfg.rpn_proposal`` alone, so a run's training is the
    same whatever ``test_cfg.rpn.max_per_img`` says."""
    register_all_modules()
    cfg = _twin_cfg(path, scenes_root, tmp_path)
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader)))
    losses = []
    for max_per_img in (cfg.model.test_cfg.rpn.max_per_img, 7):  # 7: far below any sample
        cfg.model.test_cfg.rpn.max_per_img = max_per_img
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
        torch.manual_seed(1)
        loss = model(**model.data_preprocessor(batch, True), mode='loss')
        losses.append(model.parse_losses(loss)[1])
    assert losses[0].keys() == losses[1].keys()
    for key in losses[0]:
        assert torch.equal(losses[0][key], losses[1][key]), key
