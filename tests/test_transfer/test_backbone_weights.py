"""Unit tests of mls_mm.transfer: backbone extraction, key checks, ResNet key mappings."""
from collections import OrderedDict

import pytest
import torch
import torchvision

import mls_mm  # noqa: F401 - checkpoint compat
from mls_mm.transfer import (NUM_BATCHES_TRACKED, KeyMismatchError, UnmappableKeyError,
                             check_state_dict, detectron2_to_mm, detectron2_to_torchvision,
                             extract_backbone, infer_resnet_depth, load_backbone,
                             mm_to_detectron2, mm_to_torchvision, read_state_dict, rename_keys,
                             torchvision_to_detectron2, torchvision_to_mm)


def _meta_resnet(depth):
    """A torchvision ResNet on the meta device: keys and shapes only, built in milliseconds."""
    with torch.device('meta'):
        return getattr(torchvision.models, f'resnet{depth}')()


def _moco_detectron2_name(key):
    """facebookresearch/moco detection/convert-pretrain-to-detectron2.py, verbatim logic."""
    if 'layer' not in key:
        key = 'stem.' + key
    for t in [1, 2, 3, 4]:
        key = key.replace('layer{}'.format(t), 'res{}'.format(t + 1))
    for t in [1, 2, 3]:
        key = key.replace('bn{}'.format(t), 'conv{}.norm'.format(t))
    key = key.replace('downsample.0', 'shortcut')
    key = key.replace('downsample.1', 'shortcut.norm')
    return key


def _pretraining_state_dict():
    backbone = OrderedDict(conv1=torch.randn(4, 3, 3, 3), **{'layer1.0.conv1': torch.randn(4)})
    sd = OrderedDict((f'backbone.{k}', v) for k, v in backbone.items())
    sd.update({'neck.mlp.0.weight': torch.randn(2, 2), 'queue': torch.randn(2, 8),
               'momentum_encoder.module.0.conv1': torch.randn(4, 3, 3, 3)})
    return backbone, sd


def test_extract_backbone_strips_prefix_and_drops_the_rest():
    backbone, sd = _pretraining_state_dict()
    out = extract_backbone(sd)
    assert list(out) == list(backbone)
    for k in backbone:
        assert out[k] is sd[f'backbone.{k}']


def test_extract_backbone_names_prefix_and_found_prefixes():
    with pytest.raises(ValueError) as err:
        extract_backbone({'conv1.weight': torch.ones(1), 'layer1.0.conv1.weight': torch.ones(1)},
                         source='r18_mmdet.pth')
    msg = str(err.value)
    assert 'r18_mmdet.pth' in msg and "'backbone.'" in msg and 'layer1.*' in msg
    assert "prefix=''" in msg  # an already-extracted backbone file


@pytest.mark.parametrize('wrap', ['mmengine', 'bare', 'ddp'])
def test_read_state_dict_formats(tmp_path, wrap):
    backbone, sd = _pretraining_state_dict()
    if wrap == 'mmengine':
        obj = {'state_dict': sd, 'meta': {'epoch': 7}}
    elif wrap == 'bare':
        obj = sd
    else:  # saved from a DDP-wrapped model
        obj = {'state_dict': OrderedDict((f'module.{k}', v) for k, v in sd.items())}
    path = str(tmp_path / 'ckpt.pth')
    torch.save(obj, path)
    read, meta = read_state_dict(path)
    assert list(read) == list(sd)
    assert meta == ({'epoch': 7} if wrap == 'mmengine' else {})
    weights, _ = load_backbone(path)
    torch.testing.assert_close(dict(weights), dict(backbone))


def test_read_state_dict_rejects_non_tensor_dict(tmp_path):
    path = str(tmp_path / 'not_weights.pth')
    torch.save({'epoch': 3, 'lr': 0.1}, path)
    with pytest.raises(ValueError, match='not_weights.pth'):
        read_state_dict(path)


def test_check_state_dict_lists_missing_unexpected_misshaped():
    target = {'a.weight': torch.zeros(2, 3), 'b.weight': (4, ), 'c.bias': torch.Size([5])}
    source = {'a.weight': torch.zeros(3, 2), 'b.weight': torch.zeros(4), 'x.bias': torch.ones(5)}
    with pytest.raises(KeyMismatchError) as err:
        check_state_dict(source, target, what='torchvision resnet50', source_name='ck.pth')
    e = err.value
    assert e.missing == ['c.bias'] and e.unexpected == ['x.bias']
    assert e.mis_shaped == [('a.weight', (3, 2), (2, 3))]
    msg = str(e)
    for text in ('ck.pth', 'torchvision resnet50', 'c.bias', 'x.bias',
                 'a.weight: (3, 2) != (2, 3)'):
        assert text in msg


def test_check_state_dict_ignores_only_what_it_is_told():
    target = {'w': (1, ), 'bn.num_batches_tracked': (), 'fc.weight': (2, 2), 'norm.weight': (3, )}
    source = {'w': torch.ones(1), 'layer4.w': torch.ones(1)}
    with pytest.raises(KeyMismatchError) as err:  # nothing implicit: BN counters are keys
        check_state_dict(source, target)
    assert 'bn.num_batches_tracked' in err.value.missing
    loaded = check_state_dict(source, target, ignore=(NUM_BATCHES_TRACKED, r'^fc\.'),
                              ignore_missing=(r'^norm\.', ), ignore_unexpected=(r'^layer4\.', ))
    assert loaded == {'w': (1, )}


def test_torchvision_keys_are_openmmlab_keys():
    """mmcv names BN layers bn1/bn2, so OpenMMLab ResNet keys equal torchvision's."""
    from mmpretrain.models.backbones import ResNet
    mm_keys = list(ResNet(depth=50).state_dict())
    tv_keys = [k for k in _meta_resnet(50).state_dict() if not k.startswith('fc.')]
    assert [mm_to_torchvision(k) for k in mm_keys] == tv_keys
    assert [torchvision_to_mm(k) for k in tv_keys] == mm_keys


@pytest.mark.parametrize('depth', [18, 50])
def test_detectron2_names_match_moco_script_and_invert(depth):
    keys = [k for k in _meta_resnet(depth).state_dict() if not k.startswith('fc.')]
    d2 = [torchvision_to_detectron2(k) for k in keys]
    assert d2 == [_moco_detectron2_name(k) for k in keys]
    assert [detectron2_to_torchvision(k) for k in d2] == keys
    assert [detectron2_to_mm(mm_to_detectron2(k)) for k in keys] == keys
    assert 'res5.0.shortcut.norm.running_var' in d2 and 'stem.conv1.norm.weight' in d2


@pytest.mark.parametrize('fn,key', [
    (mm_to_torchvision, 'stem.0.weight'),  # ResNetV1c deep stem
    (mm_to_torchvision, 'layer1.0.gn1.weight'),  # GroupNorm
    (mm_to_detectron2, 'fc.weight'),
    (torchvision_to_mm, 'layer5.0.conv1.weight'),
    (detectron2_to_torchvision, 'res6.0.conv1.weight'),
    (detectron2_to_torchvision, 'stem.fc.weight'),
])
def test_mappings_name_the_key_they_cannot_map(fn, key):
    with pytest.raises(UnmappableKeyError, match=key.replace('.', r'\.')):
        fn(key)


def test_rename_keys_reports_every_bad_key_and_the_source():
    sd = {'conv1.weight': 1, 'stem.0.weight': 2, 'fc.bias': 3}
    with pytest.raises(UnmappableKeyError) as err:
        rename_keys(sd, mm_to_torchvision, source='ck.pth')
    msg = str(err.value)
    assert 'ck.pth' in msg and "'stem.0.weight'" in msg and "'fc.bias'" in msg
    assert rename_keys({'bn1.bias': 5}, torchvision_to_detectron2) == {'stem.conv1.norm.bias': 5}


@pytest.mark.parametrize('depth', [18, 34, 50, 101, 152])
def test_infer_resnet_depth(depth):
    assert infer_resnet_depth(_meta_resnet(depth).state_dict()) == depth


def test_infer_resnet_depth_rejects_odd_layouts():
    keys = [k for k in _meta_resnet(18).state_dict() if not k.startswith('layer4.1.')]
    with pytest.raises(ValueError, match=r'\(2, 2, 2, 1\)'):
        infer_resnet_depth(keys, source='ck.pth')
