"""init_cfg=dict(type='CheckedPretrained', ...): loads our checkpoint into downstream models,
keeps it through a whole model's init_weights(), and stops on any key mismatch."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModule
from mmengine.registry import WEIGHT_INITIALIZERS, DefaultScope, build_from_cfg

import mls_mm  # noqa: F401 - registers CheckedPretrained
from mls_mm.transfer import CheckedPretrainedInit, KeyMismatchError

from helpers.widths import standard_width  # noqa: E402

MOCO_CFG = 'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py'



def _registry(scope):
    return __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS


def _build(scope, cfg):
    with DefaultScope.overwrite_default_scope(scope):
        return _registry(scope).build(cfg)


@pytest.fixture(scope='module')
def ckpts(repo_root, tmp_path_factory):
    """A MoCo v2 ResNet-18 checkpoint (random weights, BN affine/statistics too), the same
    backbone as an extracted file (no prefix), and the expected backbone state dict."""
    torch.manual_seed(1)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = _registry('mmpretrain').build(standard_width(
            Config.fromfile(osp.join(repo_root, MOCO_CFG)).model))
    with torch.no_grad():
        for t in model.backbone.state_dict().values():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5)  # non-zero, unlike zero-init residual BNs
    root = tmp_path_factory.mktemp('ckpts')
    backbone = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    paths = dict(moco=str(root / 'epoch_1.pth'), extracted=str(root / 'r18_backbone.pth'))
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, paths['moco'])
    torch.save({'state_dict': backbone, 'meta': {}}, paths['extracted'])
    return dict(paths, backbone=backbone, root=root)


def _save_variant(ckpts, name, state_dict):
    path = str(ckpts['root'] / f'{name}.pth')
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in state_dict.items()}}, path)
    return path


def _assert_equal_to_checkpoint(module, ckpts):
    state = module.state_dict()
    assert list(state) == list(ckpts['backbone'])
    torch.testing.assert_close(dict(state), ckpts['backbone'], rtol=0, atol=0)


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
def test_resolved_by_downstream_registries(scope):
    """Child registries search mmengine's root WEIGHT_INITIALIZERS."""
    child = __import__(f'{scope}.registry', fromlist=['WEIGHT_INITIALIZERS'])
    assert child.WEIGHT_INITIALIZERS.get('CheckedPretrained') is CheckedPretrainedInit
    with DefaultScope.overwrite_default_scope(scope):
        init = build_from_cfg(dict(type='CheckedPretrained', checkpoint='a.pth', prefix=''),
                              WEIGHT_INITIALIZERS)
    assert isinstance(init, CheckedPretrainedInit) and init.prefix == ''


def test_mask_rcnn_keeps_backbone_through_init_weights(ckpts, tmp_path):
    cfg_file = tmp_path / 'mask_rcnn_r18.py'
    cfg_file.write_text(
        "_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'\n"
        f"model = dict(backbone=dict(depth=18, init_cfg=dict(type='CheckedPretrained', "
        f"checkpoint={ckpts['moco']!r}, prefix='backbone.')), "
        "neck=dict(in_channels=[64, 128, 256, 512]))\n")
    detector = _build('mmdet', Config.fromfile(str(cfg_file)).model)
    neck_before = detector.neck.lateral_convs[0].conv.weight.clone()
    detector.init_weights()
    _assert_equal_to_checkpoint(detector.backbone, ckpts)
    assert not torch.equal(neck_before, detector.neck.lateral_convs[0].conv.weight)  # Xavier ran


@pytest.mark.parametrize('source,prefix', [('moco', 'backbone.'), ('extracted', '')])
def test_image_classifier_keeps_backbone_through_init_weights(ckpts, source, prefix):
    """mmpretrain's ResNet zero-inits residual BNs after init unless type='Pretrained'."""
    classifier = _build('mmpretrain', dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18, zero_init_residual=True,
                      init_cfg=dict(type='CheckedPretrained', checkpoint=ckpts[source],
                                    prefix=prefix)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=12, in_channels=512)))
    classifier.init_weights()
    _assert_equal_to_checkpoint(classifier.backbone, ckpts)


def _resnet18(init_cfg, scope='mmpretrain', **kwargs):
    return _build(scope, dict(type='ResNet', depth=18, init_cfg=init_cfg, **kwargs))


def test_missing_or_empty_checkpoint_names_path_and_config_key():
    model = _resnet18(dict(type='CheckedPretrained', checkpoint='work_dirs/none/epoch_9.pth'))
    with pytest.raises(FileNotFoundError, match=r"init_cfg\.checkpoint.*work_dirs/none/epoch_9"):
        model.init_weights()
    with pytest.raises(ValueError, match=r"init_cfg\.checkpoint is ''"):
        _resnet18(dict(type='CheckedPretrained', checkpoint='')).init_weights()


def test_extracted_file_read_with_backbone_prefix(ckpts):
    model = _resnet18(dict(type='CheckedPretrained', checkpoint=ckpts['extracted']))
    with pytest.raises(ValueError) as err:
        model.init_weights()
    msg = str(err.value)
    assert "init_cfg.prefix='backbone.'" in msg and ckpts['extracted'] in msg
    assert "prefix=''" in msg


@pytest.mark.parametrize('variant,expected', [
    ('deleted', ['1 missing', 'layer2.0.bn1.running_mean']),
    ('renamed', ['layer3.1.conv2.weight', 'unexpected', 'layer3.1.conv9.weight']),
    ('reshaped', ['layer4.0.conv1.weight: (256, 128, 1, 1) != (512, 256, 3, 3)']),
])
def test_bad_key_stops_init_and_loads_nothing(ckpts, variant, expected):
    sd = dict(ckpts['backbone'])
    if variant == 'deleted':
        del sd['layer2.0.bn1.running_mean']
    elif variant == 'renamed':
        sd['layer3.1.conv9.weight'] = sd.pop('layer3.1.conv2.weight')
    else:
        sd['layer4.0.conv1.weight'] = torch.zeros(256, 128, 1, 1)
    path = _save_variant(ckpts, variant, sd)
    model = _resnet18(dict(type='CheckedPretrained', checkpoint=path))
    before = model.conv1.weight.clone()
    with pytest.raises(KeyMismatchError) as err:
        model.init_weights()
    for text in expected + [path]:
        assert text in str(err.value)
    assert torch.equal(before, model.conv1.weight)  # checked before anything is loaded


def test_ignore_missing_keeps_init_of_named_keys_only(ckpts):
    sd = {k: v for k, v in ckpts['backbone'].items() if k != 'layer2.0.bn1.running_mean'}
    path = _save_variant(ckpts, 'deleted_ok', sd)
    model = _resnet18(dict(type='CheckedPretrained', checkpoint=path,
                           ignore_missing=[r'^layer2\.0\.bn1\.running_mean$']))
    model.init_weights()
    state = model.state_dict()
    assert torch.equal(state.pop('layer2.0.bn1.running_mean'), torch.zeros(128))
    torch.testing.assert_close(dict(state), sd, rtol=0, atol=0)


def test_ignore_unexpected_for_c4_backbone_and_res5_head(ckpts):
    """Mask R-CNN C4: the backbone stops at res4, the ROI head's res5 is the checkpoint's
    layer4; each side must say which checkpoint keys it leaves out."""
    init = dict(type='CheckedPretrained', checkpoint=ckpts['moco'])
    c4 = _resnet18(init, scope='mmdet', num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1),
                   out_indices=(2, ))
    with pytest.raises(KeyMismatchError, match=r'layer4\.0\.conv1\.weight'):
        c4.init_weights()
    c4 = _resnet18(dict(init, ignore_unexpected=[r'^layer4\.']), scope='mmdet', num_stages=3,
                   strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ))
    c4.init_weights()
    expected = {k: v for k, v in ckpts['backbone'].items() if not k.startswith('layer4.')}
    torch.testing.assert_close(dict(c4.state_dict()), expected, rtol=0, atol=0)

    res5 = _build('mmdet', dict(type='ResLayer', depth=18, stage=3, init_cfg=dict(
        init, ignore_unexpected=[r'^(conv1|bn1|layer[123])\.'])))
    res5.init_weights()
    expected = {k: v for k, v in ckpts['backbone'].items() if k.startswith('layer4.')}
    torch.testing.assert_close(dict(res5.state_dict()), expected, rtol=0, atol=0)


class _Child(BaseModule):

    def __init__(self):
        super().__init__(init_cfg=dict(type='Constant', val=0, layer='Linear'))
        self.fc = nn.Linear(2, 2)


class _Parent(BaseModule):

    def __init__(self, init_cfg):
        super().__init__(init_cfg)
        self.child = _Child()
        self.head = nn.Linear(2, 2)


def test_sub_module_init_cfg_runs_only_where_nothing_was_loaded(tmp_path):
    """BaseModule.init_weights runs children's init_cfg after the parent's: a fully loaded
    child must skip it, a child left out by ignore_missing must still get it."""
    weights = {k: torch.randn_like(v) + 2 for k, v in _Parent(None).state_dict().items()}
    path = str(tmp_path / 'toy.pth')
    torch.save({'state_dict': weights}, path)
    full = _Parent(dict(type='CheckedPretrained', checkpoint=path, prefix=''))
    full.init_weights()
    torch.testing.assert_close(dict(full.state_dict()), weights, rtol=0, atol=0)

    torch.save({'state_dict': {k: v for k, v in weights.items() if k.startswith('head.')}}, path)
    partial = _Parent(dict(type='CheckedPretrained', checkpoint=path, prefix='',
                           ignore_missing=[r'^child\.']))
    partial.init_weights()
    assert torch.equal(partial.head.weight, weights['head.weight'])
    assert not partial.child.fc.weight.any()  # the child's own Constant(0) init ran
