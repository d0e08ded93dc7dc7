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


def test_batch_norm_variant_standardises_with_batch_then_running_statistics():
    """AvgMaxPoolingBN: the pooled features minus their batch mean over the batch standard
    deviation (biased, as BatchNorm) in training, with the running statistics in eval mode;
    no parameters, so the probe stays linear; a feature scale of 25x changes nothing."""
    from mls_mm.models.necks import AvgMaxPoolingBN
    torch.manual_seed(0)
    x = torch.randn(6, 4, 3, 3)
    neck = MODELS.build(dict(type='AvgMaxPoolingBN', in_channels=4)).train()
    assert not list(neck.parameters())
    pooled = (x.double().mean(dim=(2, 3)) + x.double().amax(dim=(2, 3))) / 2
    mean, var = pooled.mean(0), pooled.var(0, unbiased=False)
    (out, ) = neck((x, ))
    torch.testing.assert_close(out.double(), (pooled - mean) / (var + 1e-6).sqrt(), rtol=1e-5,
                               atol=1e-5)  # float32 BN against the float64 formula
    scaled = AvgMaxPoolingBN(4).train()
    torch.testing.assert_close(scaled(25 * x), out, rtol=1e-4, atol=1e-4)
    # eval: momentum 0.1 from (0, 1) after one batch, unbiased variance as BatchNorm keeps it
    neck.eval()
    running_mean, running_var = 0.1 * mean, 0.9 + 0.1 * pooled.var(0, unbiased=True)
    torch.testing.assert_close(neck(x).double(),
                               (pooled - running_mean) / (running_var + 1e-6).sqrt(),
                               rtol=1e-5, atol=1e-5)
