"""The probe configs carry the papers' protocol; the scenes config trains and evaluates end to
end through mmengine's Runner from a checked checkpoint."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.models.backbones import ResNet

import mls_mm  # noqa: F401
from mls_mm.utils import load_config

ROOT = 'configs/benchmarks/classification/'
COCO = ROOT + 'coco/resnet50_linear-probe-8xb8-coslr-100e_coco-448px.py'
VOC = ROOT + 'voc07/resnet50_linear-probe-8xb8-coslr-100e_voc12trainval-voc07test-224px.py'
SCENES = ROOT + 'scenes/resnet18_linear-probe-1xb64-coslr-5e_scenes-64px.py'
KEYS = ('mAP', 'precision', 'recall', 'f1-score', 'precision_micro', 'recall_micro',
        'f1-score_micro')


def _load(repo_root, path):
    return Config.fromfile(osp.join(repo_root, path))


@pytest.mark.parametrize('path', [COCO, VOC, SCENES])
def test_common_protocol(repo_root, path):
    cfg = _load(repo_root, path)
    backbone = cfg.model.backbone
    assert backbone.frozen_stages == 4 and backbone.norm_eval and backbone.out_indices == (3, )
    assert backbone.init_cfg == dict(type='CheckedPretrained', checkpoint='', prefix='backbone.')
    # the scenes twin standardises the pooled features (MAE's parameter-free BN; see its config)
    assert cfg.model.neck == (dict(type='AvgMaxPooling') if path != SCENES else
                              dict(type='AvgMaxPoolingBN', in_channels=256))
    head = cfg.model.head
    assert head.type == 'MultiLabelLinearClsHead'
    assert head.init_cfg == dict(type='Normal', layer='Linear', std=0.01, bias=0.)
    assert head.loss.use_sigmoid and head.loss.loss_weight == pytest.approx(1 / head.num_classes)
    assert cfg.model.data_preprocessor.num_classes == head.num_classes
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == 'SGD' and opt.momentum == 0.9 and opt.weight_decay == 0
    assert [s.type for s in cfg.param_scheduler] == ['CosineAnnealingLR']
    # evaluated once, after the last epoch, on the whole val set; nothing selected on it
    assert cfg.train_cfg.val_interval == cfg.train_cfg.max_epochs
    assert cfg.default_hooks.checkpoint.save_best is None
    assert cfg.val_dataloader.sampler == dict(type='DefaultSampler', shuffle=False)
    assert 'indices' not in cfg.val_dataloader.dataset
    types = [m.type for m in cfg.val_evaluator]
    assert types[0].endswith('AveragePrecision')
    assert [(m.thr, m.average) for m in cfg.val_evaluator[1:]] == [(0.5, 'macro'),
                                                                  (0.5, 'micro')]


def test_coco_and_voc_values(repo_root):
    coco, voc = _load(repo_root, COCO), _load(repo_root, VOC)
    assert coco.model.head.num_classes == 80 and coco.model.backbone.depth == 50
    assert coco.train_dataloader.batch_size * 8 == 64 and coco.train_cfg.max_epochs == 100
    assert coco.optim_wrapper.optimizer.lr == 2.5
    assert coco.train_pipeline[1] == dict(type='RandomResizedCrop', scale=448)
    assert coco.test_pipeline[1] == dict(type='Resize', scale=(448, 448))
    assert coco.val_dataloader.dataset.ann_file == 'annotations/instances_val2017.json'

    assert voc.model.head.num_classes == 20 and voc.optim_wrapper.optimizer.lr == 0.25
    assert voc.train_pipeline[1] == dict(type='RandomResizedCrop', scale=224)
    assert voc.test_pipeline[1] == dict(type='Resize', scale=(224, 224))
    train, val = voc.train_dataloader.dataset, voc.val_dataloader.dataset
    assert (train.type, train.data_root, train.split) == ('VOC', 'data/VOCdevkit/VOC2012',
                                                          'trainval')
    assert (val.type, val.data_root, val.split) == ('VOC', 'data/VOCdevkit/VOC2007', 'test')
    assert [m.type for m in voc.val_evaluator] == ['VOCAveragePrecision'] + \
        ['VOCMultiLabelMetric'] * 2
    assert all(m.get('difficult_as_positive') is None for m in voc.val_evaluator)  # -1: ignored
    assert 'gt_label_difficult' in voc.test_pipeline[-1].meta_keys


def test_scenes_probe_trains_and_reports_the_metrics(repo_root, scenes_root, tmp_path):
    ckpt = str(tmp_path / 'epoch_10.pth')
    backbone = ResNet(depth=18, stem_channels=32, base_channels=32)  # the scenes twins' width
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    torch.save(dict(state_dict=state, meta=dict()), ckpt)
    cfg = load_config(osp.join(repo_root, SCENES), str(tmp_path / 'work'), {
        'model.backbone.init_cfg.checkpoint': ckpt,
        'train_dataloader.dataset.data_root': scenes_root,
        'train_dataloader.dataset.indices': 16,
        'train_dataloader.batch_size': 8,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'val_dataloader.dataset.data_root': scenes_root,
        'val_dataloader.batch_size': 8,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.logger.interval': 1,
    })
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    assert len(runner.val_dataloader.dataset) == 16  # the whole (fixture) val set
    for key in KEYS:
        value = runner.message_hub.get_scalar(f'val/multi-label/{key}').current()
        assert math.isfinite(value) and 0 <= value <= 100, key
    assert osp.isfile(tmp_path / 'work' / 'epoch_1.pth')
