"""AvgMaxPooling = (global average pooling + global max pooling) / 2, per map and channel."""
import pytest
import torch
from mmpretrain.registry import MODELS

import mls_mm  # noqa: F401
from mls_mm.models.necks import AvgMaxPooling


def test_pools_as_mean_plus_max_over_two_by_hand():
    x = torch.tensor([[[[1., 2.], [3., 6.]],       # mean 3, max 6 -> 4.5
                       [[-4., -2.], [-1., -5.]]]])  # mean -3, max -1 -> -2
    (out, ) = AvgMaxPooling()((x, ))
    torch.testing.assert_close(out, torch.tensor([[4.5, -2.]]), rtol=0, atol=0)


def test_tuple_in_tuple_out_and_tensor_in_tensor_out():
    torch.manual_seed(0)
    maps = (torch.randn(3, 5, 4, 7), torch.randn(3, 8, 2, 2))
    neck = MODELS.build(dict(type='AvgMaxPooling'))
    out = neck(maps)
    assert isinstance(out, tuple) and [o.shape for o in out] == [(3, 5), (3, 8)]
    for x, o in zip(maps, out):
        want = (x.double().mean(dim=(2, 3)) + x.double().amax(dim=(2, 3))) / 2
        torch.testing.assert_close(o.double(), want)
    torch.testing.assert_close(neck(maps[1]), out[1])
    assert not list(neck.parameters())


def test_rejects_maps_that_are_not_4d():
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        AvgMaxPooling()(torch.randn(2, 3))
    with pytest.raises(TypeError, match='tensor or a tuple'):
        AvgMaxPooling()([torch.randn(2, 3, 1, 1)])
