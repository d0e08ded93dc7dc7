"""Step time and peak memory of MLS against MoCo v2 on the same backbone, batch and data.

    python tools/benchmarks/mls_vs_mocov2_step_time.py [--depth 18] [--batch 32] [--size 64]
        [--dict-size 4096] [--steps 30] [--warmup 5] [--threads 2]

Both models are built from the repo's scenes configs (so they share backbone, neck widths,
queue length and data preprocessor) and trained with SGD on the same random batches, steps
interleaved in one process so that machine noise hits both alike. Prints the median step time
of each, the ratio MLS / MoCo v2, and the peak memory of each: CUDA's peak allocation on a GPU,
the child process' peak RSS on the CPU (each model measured in its own child process).
"""
import argparse
import multiprocessing as mp
import os.path as osp
import resource
import statistics
import time

import torch
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mls_mm  # noqa: F401
from mls_mm.utils import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = dict(
    mocov2='configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py',
    mls='configs/mls/mls_resnet18_1xb32-coslr-10e_scenes.py')


def build(name, args, device):
    cfg = load_config(osp.join(ROOT, CONFIGS[name]))
    model_cfg = cfg.model
    width = 512 if args.depth in (18, 34) else 2048
    model_cfg.backbone.depth = args.depth
    # the papers' (standard) width, not the scenes twins' half width: the ratio is the point
    model_cfg.backbone.update(stem_channels=64, base_channels=64)
    model_cfg.neck.in_channels = width
    if name == 'mocov2':
        model_cfg.queue_len = args.dict_size
    else:
        model_cfg.dict_size = args.dict_size
        model_cfg.backbone_dim = width
        model_cfg.num_classes = None  # the monitor is optional; time the method itself
    model_cfg.data_preprocessor = cfg.data_preprocessor
    torch.manual_seed(0)
    model = MODELS.build(model_cfg).to(device).train()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9))
    return model, optim


def batch(args, step, device):
    gen = torch.Generator().manual_seed(step)
    views = [torch.randint(0, 256, (args.batch, 3, args.size, args.size), generator=gen,
                           dtype=torch.uint8).to(device) for _ in range(2)]
    return dict(inputs=views, data_samples=[DataSample() for _ in range(args.batch)])


def timed_step(model, optim, data, device):
    if device.type == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    model.train_step(data, optim)
    if device.type == 'cuda':
        torch.cuda.synchronize()
    return time.perf_counter() - start


def peak_rss_child(name, args, queue):
    torch.set_num_threads(args.threads)
    model, optim = build(name, args, torch.device('cpu'))
    for step in range(args.warmup + 3):
        model.train_step(batch(args, step, torch.device('cpu')), optim)
    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # MiB


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--depth', type=int, default=18)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--dict-size', type=int, default=4096)
    p.add_argument('--steps', type=int, default=30)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    models = {name: build(name, args, device) for name in CONFIGS}
    times = {name: [] for name in CONFIGS}
    for step in range(args.warmup + args.steps):
        data = batch(args, step, device)
        for name, (model, optim) in models.items():
            t = timed_step(model, optim, data, device)
            if step >= args.warmup:
                times[name].append(t)
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f'setting: ResNet-{args.depth}, batch {args.batch}, {args.size} px, D = '
          f'{args.dict_size}, {args.steps} steps after {args.warmup} warm-up, {device}, '
          f'{args.threads} threads')
    for name in CONFIGS:
        print(f'{name:7s} median step {med[name] * 1000:8.1f} ms')
    print(f'step-time ratio MLS / MoCo v2: {med["mls"] / med["mocov2"]:.3f} (target <= 1.05)')
    if device.type == 'cuda':
        for name, (model, optim) in models.items():
            torch.cuda.reset_peak_memory_stats()
            model.train_step(batch(args, 0, device), optim)
            print(f'{name:7s} peak CUDA memory {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB')
    else:
        ctx = mp.get_context('spawn')
        for name in CONFIGS:
            queue = ctx.Queue()
            proc = ctx.Process(target=peak_rss_child, args=(name, args, queue))
            proc.start()
            peak = queue.get()
            proc.join()
            print(f'{name:7s} peak RSS {peak:.0f} MiB (own process)')


if __name__ == '__main__':
    main()
