import os

import pytest
import torch
import torch.nn.functional as F
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mls_mm  # noqa: F401
from helpers.dist_utils import in_float64, run_in_processes
from mls_mm.models.algorithms.bam import arrange_block_views


def tiny_bam_cfg(norm='BN', stop_grad=True, gather_features=True):
    return dict(
        type='BAM',
        backbone=dict(type='ResNet', depth=18, base_channels=8,
                      norm_cfg=(dict(type='GN', num_groups=4) if norm == 'GN'
                                else dict(type='BN')), zero_init_residual=True),
        neck=dict(type='NonLinearNeck', in_channels=64, hid_channels=32, out_channels=32,
                  num_layers=3, with_last_bn_affine=False, with_avg_pool=True,
                  norm_cfg=(dict(type='GN', num_groups=4) if norm == 'GN'
                            else dict(type='BN1d'))),
        head=dict(type='BAMHead', stop_grad=stop_grad, gather_features=gather_features,
                  predictor=dict(type='NonLinearNeck', in_channels=32, hid_channels=16,
                                 out_channels=32, with_avg_pool=False, with_last_bn=False,
                                 with_last_bias=True,
                                 norm_cfg=(dict(type='GN', num_groups=4) if norm == 'GN'
                                           else dict(type='BN1d')))),
        data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[0., 0., 0.],
                               std=[1., 1., 1.], to_rgb=False))


def coded_batch(image_ids):
    """8 views per image; view (b, p) of image i is filled with 1000 i + 10 b + p."""
    views = []
    for p in range(2):
        for b in range(4):
            views.append(torch.stack([torch.full((3, 8, 8), 1000. * i + 10 * b + p)
                                      for i in image_ids]))
    samples = []
    for i in image_ids:
        s = DataSample()
        s.set_field(i, 'sample_idx', field_type='metainfo')
        s.set_field([0, 1, 2, 3] * 2, 'block_index', field_type='metainfo')
        s.set_field([i] * 8, 'view_image_ids', field_type='metainfo')
        samples.append(s)
    return views, samples


def test_pairing_and_ids_survive_any_batch_order():
    for order in ([3, 7, 42], [42, 3, 7]):
        x1, x2, ids = arrange_block_views(*coded_batch(order))
        code1, code2 = x1[:, 0, 0, 0], x2[:, 0, 0, 0]
        assert torch.equal(code2 - code1, torch.ones(12))         # (b,1) <-> (b,2)
        assert torch.equal((code1 // 1000).long(), ids)           # the right image id
        assert torch.equal(ids, torch.tensor(order).repeat(4))
        assert torch.equal((code1 % 1000) // 10, torch.arange(4).repeat_interleave(3).float())


def test_loss_does_not_depend_on_the_batch_order():
    torch.manual_seed(0)
    model = MODELS.build(tiny_bam_cfg()).eval()  # eval BN: rows do not interact through BN
    g = torch.Generator().manual_seed(0)
    views, samples = coded_batch([1, 2, 3])
    views = [torch.rand(3, 3, 16, 16, generator=g) for _ in views]
    perm = [2, 0, 1]
    a = model.loss(views, samples)
    b = model.loss([v[perm] for v in views], [samples[i] for i in perm])
    for key in a:
        assert a[key].item() == pytest.approx(b[key].item(), rel=1e-5)


@pytest.mark.parametrize('mutate,match', [
    (lambda v, s: (v[:7], s), '8 views'),
    (lambda v, s: (v, [s[0].set_field([1] * 7 + [2], 'view_image_ids',
                                       field_type='metainfo') or s[0]] + s[1:]),
     'inconsistent image ids'),
    (lambda v, s: (v, [s[0], s[0]] + s[2:]), 'same image id twice'),
])
def test_bad_batches_are_named(mutate, match):
    views, samples = coded_batch([1, 2, 3])
    with pytest.raises(ValueError, match=match):
        arrange_block_views(*mutate(views, samples))


@pytest.mark.parametrize('stop_grad', [True, False])
def test_gradients_follow_the_stop_grad_switch(stop_grad):
    torch.manual_seed(0)
    head = MODELS.build(tiny_bam_cfg(stop_grad=stop_grad)['head'])
    z1 = torch.randn(8, 32, requires_grad=True)
    z2 = torch.randn(8, 32, requires_grad=True)
    ids = torch.tensor([0, 1]).repeat(4)
    head.loss(z1, z2, ids)['loss_con'].backward()
    got = (z1.grad.clone(), z2.grad.clone())

    # the same term written out, with a detach exactly where the switch says
    z1.grad = z2.grad = None
    pred = head.predictor
    t1, t2 = (z1.detach(), z2.detach()) if stop_grad else (z1, z2)
    expected = -0.5 * (F.cosine_similarity(pred([z1])[0], t2).mean() +
                       F.cosine_similarity(pred([z2])[0], t1).mean())
    expected.backward()
    assert torch.allclose(got[0], z1.grad, atol=1e-6)
    assert torch.allclose(got[1], z2.grad, atol=1e-6)

    # L_clu never stops gradients: both branches get some
    z1.grad = z2.grad = None
    head.loss(z1, z2, ids)['loss_clu'].backward()
    assert z1.grad.abs().sum() > 0 and z2.grad.abs().sum() > 0


GLOBAL_IMAGES, STEPS = 4, 2


def _build():
    torch.manual_seed(0)
    model = in_float64(MODELS.build(tiny_bam_cfg(norm='GN')))
    return model, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))


def _data(step, rank=None, world=1):
    ids = list(range(100 * step, 100 * step + GLOBAL_IMAGES))
    _, samples = coded_batch(ids)
    g = torch.Generator().manual_seed(step)
    views = [torch.rand(GLOBAL_IMAGES, 3, 16, 16, generator=g) for _ in range(8)]
    if rank is not None:
        per = GLOBAL_IMAGES // world
        views = [v[rank * per:(rank + 1) * per] for v in views]
        samples = samples[rank * per:(rank + 1) * per]
    return dict(inputs=views, data_samples=samples)


def _worker(rank, world, out_dir):
    model, optim = _build()
    ddp = MMDistributedDataParallel(module=model)
    logs = [{k: float(v) for k, v in ddp.train_step(_data(s, rank, world), optim).items()}
            for s in range(STEPS)]
    torch.save(dict(logs=logs, weight=model.backbone.conv1.weight.detach().clone()),
               os.path.join(out_dir, f'rank{rank}.pt'))


def test_two_processes_equal_one(tmp_path):
    model, optim = _build()
    logs = [{k: float(v) for k, v in model.train_step(_data(s), optim).items()}
            for s in range(STEPS)]
    run_in_processes(_worker, 2, str(tmp_path))
    ranks = [torch.load(tmp_path / f'rank{r}.pt', weights_only=True) for r in range(2)]
    for r in ranks:
        assert r['weight'].dtype == torch.float64
        assert torch.allclose(r['weight'], model.backbone.conv1.weight, rtol=0, atol=1e-10)
    for step in range(STEPS):
        for key in ('loss_con', 'loss_clu'):
            mean = sum(r['logs'][step][key] for r in ranks) / 2
            assert mean == pytest.approx(logs[step][key], abs=1e-10), (step, key)
