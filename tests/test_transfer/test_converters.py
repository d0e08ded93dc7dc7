"""tools/model_converters/extract_backbone.py: a MoCo v2 ResNet-18 checkpoint converted to every
target gives the pretraining backbone's features, loads strictly, and bad keys are errors."""
import os.path as osp
import pickle
import re
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
import torchvision
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mls_mm  # noqa: F401
from mls_mm.transfer import (NUM_BATCHES_TRACKED, detectron2_to_torchvision,
                             torchvision_to_detectron2)
from helpers.widths import standard_width
from tools.model_converters.extract_backbone import main

MM_TARGETS = ('mmdet', 'mmseg', 'mmpretrain')
MOCO_CFG = 'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py'


@pytest.fixture(scope='module')
def moco(repo_root, tmp_path_factory):
    """MoCo v2 ResNet-18 with random weights (BN statistics too), its checkpoint, and a batch."""
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(standard_width(Config.fromfile(osp.join(repo_root, MOCO_CFG)).model))
    with torch.no_grad():  # BN at (mean 0, var 1, gamma 1, beta 0) would hide a BN mix-up
        for name, t in model.backbone.state_dict().items():
            if t.is_floating_point() and ('bn' in name or 'downsample.1' in name):
                t.copy_(torch.rand_like(t) + 0.5 if 'var' in name else torch.randn_like(t) * 0.1)
    model.eval()
    path = str(tmp_path_factory.mktemp('moco') / 'epoch_1.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {'epoch': 1}}, path)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feats = model.backbone(x)[-1]  # layer4, (2, 512, 2, 2)
    return dict(model=model, ckpt=path, x=x, feats=feats)


@pytest.fixture(scope='module')
def converted(moco, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp('converted')
    outs = {}
    for target in MM_TARGETS + ('torchvision', 'detectron2'):
        outs[target] = str(out_dir / f'r18_{target}.{"pkl" if target == "detectron2" else "pth"}')
        assert main([moco['ckpt'], outs[target], '--target', target]) == 0
    return outs


def _mm_resnet(target, **kwargs):
    registry = __import__(f'{target}.registry', fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(target):
        return registry.build(dict(type='ResNet', depth=18, **kwargs))


def _torchvision_layer4(state_dict):
    tv = torchvision.models.resnet18()
    tv.fc = nn.Identity()
    tv.load_state_dict(state_dict, strict=True)
    return nn.Sequential(*list(tv.children())[:-2]).eval()


@pytest.mark.parametrize('target', MM_TARGETS)
def test_mm_target_features_via_pretrained_init(moco, converted, target):
    """The written file is what mmengine's own ``Pretrained`` init reads (no prefix)."""
    model = _mm_resnet(target, init_cfg=dict(type='Pretrained', checkpoint=converted[target]))
    model.init_weights()
    model.eval()  # (mmdet's ResNet.train() returns None: no chaining)
    with torch.no_grad():
        torch.testing.assert_close(model(moco['x'])[-1], moco['feats'])


@pytest.mark.parametrize('target', MM_TARGETS)
def test_mm_target_loads_strictly(moco, converted, target):
    ckpt = torch.load(converted[target], weights_only=True)
    assert ckpt['meta']['source'] == moco['ckpt'] and ckpt['meta']['source_epoch'] == 1
    model = _mm_resnet(target)
    model.load_state_dict(ckpt['state_dict'], strict=True)
    backbone = moco['model'].backbone.state_dict()
    assert list(ckpt['state_dict']) == list(backbone)
    torch.testing.assert_close(dict(ckpt['state_dict']), dict(backbone))


def test_torchvision_target(moco, converted):
    state_dict = torch.load(converted['torchvision'], weights_only=True)
    layer4 = _torchvision_layer4(state_dict)  # strict, fc replaced by Identity (no fc keys)
    with torch.no_grad():
        torch.testing.assert_close(layer4(moco['x']), moco['feats'])


def test_detectron2_target(moco, converted):
    with open(converted['detectron2'], 'rb') as f:
        d2 = pickle.load(f)
    assert d2['__author__'] == 'mls_mm' and d2['matching_heuristics'] is True
    tv_keys = [k for k in torchvision.models.resnet18().state_dict() if not k.startswith('fc.')]
    # the names of moco's convert-pretrain-to-detectron2.py, minus the BN counters, in order
    assert list(d2['model']) == [torchvision_to_detectron2(k) for k in tv_keys
                                 if not re.search(NUM_BATCHES_TRACKED, k)]
    assert all(type(v).__module__ == 'numpy' for v in d2['model'].values())
    back = OrderedDict((detectron2_to_torchvision(k), torch.from_numpy(v))
                       for k, v in d2['model'].items())
    # strict: BatchNorm's loader fills in num_batches_tracked of a state dict without
    # _metadata (as detectron2 files are), every other key must be there
    layer4 = _torchvision_layer4(back)
    with torch.no_grad():
        torch.testing.assert_close(layer4(moco['x']), moco['feats'])


@pytest.fixture(scope='module')
def corrupt(moco, tmp_path_factory):
    """Backbone-only checkpoints with one key deleted, one renamed, one re-shaped."""
    sd = {k: v for k, v in torch.load(moco['ckpt'], weights_only=True)['state_dict'].items()
          if k.startswith('backbone.')}
    variants = {
        'deleted': {k: v for k, v in sd.items() if k != 'backbone.layer2.0.bn1.running_mean'},
        'renamed': {k.replace('layer3.1.conv2.', 'layer3.1.conv9.'): v for k, v in sd.items()},
        'reshaped': {**sd, 'backbone.layer4.0.conv1.weight': torch.zeros(256, 128, 1, 1)},
    }
    paths = {}
    for name, state_dict in variants.items():
        paths[name] = str(tmp_path_factory.mktemp('bad') / f'{name}.pth')
        torch.save({'state_dict': state_dict, 'meta': {}}, paths[name])
    return paths


EXPECTED = {
    'deleted': ['missing', 'layer2.0.bn1.running_mean'],
    'renamed': ['layer3.1.conv9.weight'],
    'reshaped': ['mis-shaped', 'layer4.0.conv1.weight: (256, 128, 1, 1) != (512, 256, 3, 3)'],
}


@pytest.mark.parametrize('target', ['mmdet', 'torchvision', 'detectron2'])
@pytest.mark.parametrize('variant', ['deleted', 'renamed', 'reshaped'])
def test_cli_names_bad_keys(corrupt, tmp_path, capsys, target, variant):
    out = str(tmp_path / 'out.pth')
    argv = [corrupt[variant], out, '--target', target, '--depth', '18']
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert corrupt[variant] in err
    for text in EXPECTED[variant]:
        assert text in err
    if variant == 'renamed' and target == 'mmdet':  # both sides of a rename are listed
        assert 'missing' in err and 'layer3.1.conv2.weight' in err and 'unexpected' in err
    assert not osp.exists(out)  # nothing written on a mismatch


def test_cli_prefix_mistake_on_converted_file(converted, tmp_path, capsys):
    assert main([converted['mmdet'], str(tmp_path / 'again.pth')]) == 1
    err = capsys.readouterr().err
    assert converted['mmdet'] in err and "'backbone.'" in err and "prefix=''" in err
    assert main([converted['mmdet'], str(tmp_path / 'again.pth'), '--prefix', '']) == 0


def _write_config(tmp_path, text):
    path = tmp_path / 'target_cfg.py'
    path.write_text(text)
    return str(path)


def test_cli_checks_against_config_backbone_without_running_init_cfg(moco, tmp_path, capsys):
    # init_cfg points at no file: building the check target must not execute it
    cfg = _write_config(tmp_path, (
        "_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'\n"
        "model = dict(backbone=dict(depth=18, init_cfg=dict(type='CheckedPretrained', "
        "checkpoint='no/such/file.pth')), neck=dict(in_channels=[64, 128, 256, 512]))\n"))
    assert main([moco['ckpt'], str(tmp_path / 'ok.pth'), '--config', cfg]) == 0
    assert cfg in capsys.readouterr().out
    cfg50 = _write_config(tmp_path, "_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'\n")
    assert main([moco['ckpt'], str(tmp_path / 'bad.pth'), '--config', cfg50]) == 1
    err = capsys.readouterr().err
    assert 'layer1.0.conv3.weight' in err and 'layer1.0.conv1.weight: (64, 64, 3, 3)' in err


def test_cli_config_with_deep_stem_lists_stem_keys(moco, tmp_path, capsys):
    cfg = _write_config(tmp_path, (
        "_base_ = 'mmseg::_base_/models/pspnet_r50-d8.py'\n"
        "model = dict(backbone=dict(depth=18))\n"))
    assert main([moco['ckpt'], str(tmp_path / 'bad.pth'), '--target', 'mmseg',
                 '--config', cfg]) == 1
    err = capsys.readouterr().err
    assert 'ResNetV1c' in err and 'stem.0.weight' in err and 'unexpected' in err


def test_cli_rejects_config_of_another_library(moco, tmp_path, capsys):
    cfg = _write_config(tmp_path, "default_scope = 'mmdet'\nmodel = dict(backbone=dict("
                        "type='ResNet', depth=18))\n")
    assert main([moco['ckpt'], str(tmp_path / 'x.pth'), '--target', 'mmseg',
                 '--config', cfg]) == 1
    assert "default_scope is 'mmdet'" in capsys.readouterr().err


def test_cli_missing_files_are_named(moco, tmp_path, capsys):
    assert main([str(tmp_path / 'no_ckpt.pth'), str(tmp_path / 'x.pth')]) == 1
    assert 'no_ckpt.pth' in capsys.readouterr().err
    assert main([moco['ckpt'], str(tmp_path / 'x.pth'), '--config', 'no/cfg.py']) == 1
    assert 'no/cfg.py' in capsys.readouterr().err


def test_half_width_scenes_checkpoint_converts_to_mm_targets_only(repo_root, tmp_path):
    """The scenes twins' half-width ResNet-18: the plain mm target takes its widths from the
    keys (features equal after loading); torchvision and detectron2, which have no such
    ResNet, stop with a message that says so."""
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(Config.fromfile(osp.join(repo_root, MOCO_CFG)).model).eval()
    path = str(tmp_path / 'half.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {'epoch': 1}}, path)
    out = str(tmp_path / 'half_mmdet.pth')
    assert main([path, out, '--target', 'mmdet']) == 0
    target = _mm_resnet('mmdet', stem_channels=32, base_channels=32,
                        init_cfg=dict(type='Pretrained', checkpoint=out))
    target.init_weights()
    target.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(target(x)[-1], model.backbone(x)[-1])
    from mls_mm.transfer.convert import convert_backbone
    weights = {k[len('backbone.'):]: v for k, v in model.state_dict().items()
               if k.startswith('backbone.')}
    for other in ('torchvision', 'detectron2'):
        with pytest.raises(ValueError, match=r'width 32 / 32 has no \w+ counterpart'):
            convert_backbone(weights, other)


@pytest.mark.parametrize('backbone', ['ResNet', 'ResNetV1c', 'ResNetV1d'])
def test_widths_are_inferred_for_plain_and_deep_stems(backbone):
    """A stem of 24 channels and stages of base 16, read from the weights' shapes alone."""
    from mmpretrain.registry import MODELS

    from mls_mm.transfer.resnet_keys import infer_resnet_widths
    model = MODELS.build(dict(type=backbone, depth=18, stem_channels=24, base_channels=16))
    weights = model.state_dict()
    assert ('stem.2.conv.weight' in weights) == (backbone != 'ResNet')
    assert infer_resnet_widths(weights) == dict(stem_channels=24, base_channels=16)
    assert infer_resnet_widths({k: v for k, v in weights.items()
                                if not k.startswith(('conv1.', 'stem.'))}) == {}
