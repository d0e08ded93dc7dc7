"""The Cityscapes configs keep mmseg's protocol; the scenes twins train, evaluate (IoUMetric)
and load checked weights."""
import copy
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mls_mm  # noqa: F401
import mls_mm.seg  # noqa: F401
from mls_mm.utils import load_config

CITYSCAPES = ('configs/benchmarks/mmsegmentation/cityscapes/'
              '{}_r50b-d8_4xb2-40k_cityscapes-512x1024.py')
SCENES = 'configs/benchmarks/mmsegmentation/scenes/{}_r18b-d8_1xb8-100i_scenes-64x64.py'
MMSEG_BASE = '{0}/{0}_r50-d8_4xb2-40k_cityscapes-512x1024.py'  # under mmseg/.mim/configs
METHODS = ('pspnet', 'psanet')


def _scrub(obj):
    """Config dict without the ``_scope_`` keys mmengine adds while merging bases."""
    if isinstance(obj, dict):
        return {k: _scrub(v) for k, v in obj.items() if k != '_scope_'}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_scrub(v) for v in obj)
    return obj


@pytest.mark.parametrize('method', METHODS)
def test_cityscapes_config_is_mmseg_base_with_only_the_stated_departures(repo_root, method):
    ours = Config.fromfile(osp.join(repo_root, CITYSCAPES.format(method))).to_dict()
    import mmseg
    base = Config.fromfile(osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs',
                                    MMSEG_BASE.format(method))).to_dict()
    backbone = ours['model']['backbone']
    # the protocol: SyncBN, BN statistics updated, nothing frozen, strict weights, no v1c stem
    assert backbone['type'] == 'ResNet' and backbone['depth'] == 50
    assert backbone['norm_cfg']['type'] == 'SyncBN' and backbone['norm_eval'] is False
    assert backbone['frozen_stages'] == -1
    assert backbone['init_cfg'] == dict(type='CheckedPretrained', checkpoint='',
                                        prefix='backbone.')
    assert ours['model']['decode_head']['norm_cfg']['type'] == 'SyncBN'
    assert ours['model']['auxiliary_head']['norm_cfg']['type'] == 'SyncBN'
    assert ours['model']['pretrained'] is None
    assert ours['custom_imports']['imports'] == ['mls_mm', 'mls_mm.seg']
    # everything else is mmseg's: data, schedule, heads, backbone geometry
    for cfg in (ours, base):
        cfg.pop('custom_imports', None)
        cfg['model'].pop('pretrained')
        for key in ('type', 'init_cfg', 'frozen_stages'):
            cfg['model']['backbone'].pop(key, None)
    assert _scrub(ours) == _scrub(base)
    assert ours['train_cfg']['max_iters'] == 40000
    assert ours['train_dataloader']['batch_size'] == 2


def test_cityscapes_config_refuses_to_start_from_random_weights(repo_root):
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(repo_root, CITYSCAPES.format('pspnet')))
    backbone = MODELS.build(cfg.model.backbone)
    with pytest.raises(ValueError, match='init_cfg.checkpoint'):
        backbone.init_weights()


def test_psanet_twin_head_is_the_cityscapes_head_narrowed(repo_root):
    city = Config.fromfile(osp.join(repo_root, CITYSCAPES.format('psanet'))).model
    twin = Config.fromfile(osp.join(repo_root, SCENES.format('psanet'))).model
    psp_twin = Config.fromfile(osp.join(repo_root, SCENES.format('pspnet'))).model
    scale_keys = ('in_channels', 'channels', 'num_classes', 'mask_size')
    strip = lambda head: {k: v for k, v in _scrub(head.to_dict()).items()  # noqa: E731
                          if k not in scale_keys}
    assert strip(twin.decode_head) == strip(city.decode_head)
    assert twin.decode_head.mask_size == (15, 15)
    assert _scrub(twin.backbone.to_dict()) == _scrub(psp_twin.backbone.to_dict())
    assert _scrub(twin.auxiliary_head.to_dict()) == _scrub(psp_twin.auxiliary_head.to_dict())


def _fake_pretraining_checkpoint(path):
    """A pretraining-style checkpoint: an mmseg ResNet-18 under ``backbone.``."""
    from mmseg.models.backbones import ResNet
    torch.manual_seed(0)
    state = {f'backbone.{k}': v for k, v in ResNet(depth=18, stem_channels=32, base_channels=32).state_dict().items()}
    torch.save(dict(state_dict=state, meta=dict()), path)
    return state


def _twin_cfg(repo_root, method, scenes_root, work_dir, **options):
    options = {
        'train_dataloader.dataset.data_root': scenes_root,
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'val_dataloader.dataset.data_root': scenes_root,
        'val_dataloader.dataset.indices': 4,
        'val_dataloader.batch_size': 4,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
        'default_hooks.logger.interval': 1,
        **options
    }
    return load_config(osp.join(repo_root, SCENES.format(method)), str(work_dir), options)


@pytest.mark.parametrize('method', METHODS)
def test_scenes_twin_trains_and_evaluates_miou(repo_root, scenes_root, tmp_path, method):
    if method == 'pspnet':  # random init, said explicitly
        options = {'model.backbone.init_cfg': None}
    else:  # through CheckedPretrained, as the launch scripts do
        ckpt = str(tmp_path / 'pretrain.pth')
        _fake_pretraining_checkpoint(ckpt)
        options = {'model.backbone.init_cfg.checkpoint': ckpt}
    cfg = _twin_cfg(repo_root, method, scenes_root, tmp_path / 'work', **options)
    assert cfg.val_evaluator.type == 'IoUMetric' and cfg.model.backbone.depth == 18
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    miou = runner.message_hub.get_scalar('val/mIoU').current()
    assert math.isfinite(miou) and 0 <= miou <= 100
    assert osp.isfile(tmp_path / 'work' / 'iter_2.pth')


def test_twin_loads_the_checked_weights(repo_root, scenes_root, tmp_path):
    from mmseg.registry import MODELS
    ckpt = str(tmp_path / 'pretrain.pth')
    state = _fake_pretraining_checkpoint(ckpt)
    cfg = _twin_cfg(repo_root, 'pspnet', scenes_root, tmp_path,
                    **{'model.backbone.init_cfg.checkpoint': ckpt})
    model = MODELS.build(cfg.model)
    model.init_weights()
    for key, value in model.backbone.state_dict().items():
        torch.testing.assert_close(value, state[f'backbone.{key}'], msg=key)
    # a checkpoint of another depth is an error naming the keys, not a silent partial load
    from mmseg.models.backbones import ResNet
    torch.save(dict(state_dict={f'backbone.{k}': v
                                for k, v in ResNet(depth=34).state_dict().items()}), ckpt)
    from mls_mm.transfer import KeyMismatchError
    with pytest.raises(KeyMismatchError, match=r'layer1\.2'):
        MODELS.build(cfg.model).init_weights()


def test_iou_metric_of_the_twins_gives_100_for_ground_truth_only(repo_root, scenes_root,
                                                                build_scenes_seg):
    """The twins' evaluator on the real label maps: ground truth -> 100, all background -> its
    exact value."""
    from mmseg.registry import METRICS
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    cfg = Config.fromfile(osp.join(repo_root, SCENES.format('pspnet')))
    dataset = build_scenes_seg(scenes_root)

    def evaluate(predict):
        metric = METRICS.build(copy.deepcopy(cfg.val_evaluator))
        metric.dataset_meta = dataset.metainfo
        for gt in gts:
            sample = SegDataSample(gt_sem_seg=PixelData(data=gt),
                                   pred_sem_seg=PixelData(data=predict(gt)))
            metric.process([], [sample.to_dict()])
        return metric.evaluate(len(gts))['mIoU']

    gts = [torch.from_numpy(dataset[i]['gt_seg_map']).long()[None] for i in range(len(dataset))]
    assert evaluate(lambda gt: gt.clone()) == 100.0
    # all background: background IoU = its pixel share, 0 for the other classes present
    labels = torch.cat([gt.flatten() for gt in gts])
    expected = 100 * (labels == 0).float().mean().item() / len(labels.unique())
    assert evaluate(torch.zeros_like) == pytest.approx(expected, abs=0.01)
