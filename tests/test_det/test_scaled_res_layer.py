"""ScaledResLayerExtraNorm: the C4 res5 head at the backbone's width, same keys as mmpretrain's."""
import torch
from mmengine.registry import DefaultScope

import mls_mm.det  # noqa: F401
from mls_mm.det import ScaledResLayerExtraNorm


def test_half_width_head_takes_res4_features_and_has_the_standard_keys():
    from mmdet.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmdet'):
        standard = MODELS.build(dict(type='ResLayerExtraNorm', depth=18))
        same = MODELS.build(dict(type='ScaledResLayerExtraNorm', depth=18, base_channels=64))
        half = MODELS.build(dict(type='ScaledResLayerExtraNorm', depth=18, base_channels=32))
    shapes = {k: tuple(v.shape) for k, v in standard.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in same.state_dict().items()} == shapes
    half_shapes = {k: tuple(v.shape) for k, v in half.state_dict().items()}
    assert set(half_shapes) == set(shapes)  # the same keys, so layer4 weights map 1:1
    assert half_shapes['layer4.0.conv1.weight'] == (256, 128, 3, 3)
    assert half_shapes['norm.weight'] == (256, )
    half.eval()
    out = half(torch.randn(2, 128, 8, 8))
    assert out.shape == (2, 256, 4, 4)
    # the extra norm is applied: its affine shift shows in the output
    with torch.no_grad():
        half.norm.bias.fill_(5.0)
    # (zeros through res5 in eval mode give zeros; the norm adds its bias)
    torch.testing.assert_close(half(torch.zeros(1, 128, 8, 8)), torch.full((1, 256, 4, 4), 5.0))
    assert isinstance(half, ScaledResLayerExtraNorm)
