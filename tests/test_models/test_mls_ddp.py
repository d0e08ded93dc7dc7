"""Two gloo processes on half batches each == one process on the whole batch (in float64:
``helpers.dist_utils.in_float64``)."""
import os

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS

import mls_mm  # noqa: F401
from helpers.dist_utils import in_float64, run_in_processes
from test_mls import _batch, tiny_mls_cfg

GLOBAL_BATCH, STEPS = 8, 3


def _build():
    torch.manual_seed(0)
    # GN instead of BN: per-process BN statistics would differ from the one-process run by
    # design; shuffle-BN is off for the same reason.
    model = in_float64(MODELS.build(tiny_mls_cfg(dict_size=16, norm='GN', shuffle_bn=False)))
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    return model, optim


def _data(step, rank=None, world=1):
    views, samples = _batch(GLOBAL_BATCH, seed=step)
    if rank is not None:
        per = GLOBAL_BATCH // world
        views = [v[rank * per:(rank + 1) * per] for v in views]
        samples = samples[rank * per:(rank + 1) * per]
    return dict(inputs=views, data_samples=samples)


def _state(model, logs):
    return dict(queue_g=model.queue.g.clone(), queue_z=model.queue.z.clone(),
                ptr=model.queue.ptr.clone(), logs=logs,
                weight=model.backbone.conv1.weight.detach().clone())


def _worker(rank, world, out_dir):
    model, optim = _build()
    ddp = MMDistributedDataParallel(module=model)
    logs = [{k: float(v) for k, v in ddp.train_step(_data(s, rank, world), optim).items()}
            for s in range(STEPS)]
    torch.save(_state(model, logs), os.path.join(out_dir, f'rank{rank}.pt'))


def test_two_processes_equal_one(tmp_path):
    model, optim = _build()
    logs = [{k: float(v) for k, v in model.train_step(_data(s), optim).items()}
            for s in range(STEPS)]
    single = _state(model, logs)

    run_in_processes(_worker, 2, str(tmp_path))
    ranks = [torch.load(tmp_path / f'rank{r}.pt', weights_only=True) for r in range(2)]
    for r in ranks:
        assert torch.equal(r['ptr'], single['ptr'])
        assert r['queue_g'].dtype == r['weight'].dtype == torch.float64
        assert torch.allclose(r['queue_g'], single['queue_g'], rtol=0, atol=1e-10)
        assert torch.allclose(r['queue_z'], single['queue_z'], rtol=0, atol=1e-10)
        assert torch.allclose(r['weight'], single['weight'], rtol=0, atol=1e-10)
    # mmpretrain's sigmoid BCE casts its targets with .float(): the logged loss_ml differs
    # by float32's rounding (3e-8 seen), the weights above by less than 1e-10
    for step in range(STEPS):
        for key in ('loss_nce', 'loss_ml'):
            mean = sum(r['logs'][step][key] for r in ranks) / 2
            assert abs(mean - single['logs'][step][key]) < 1e-6, (step, key)
