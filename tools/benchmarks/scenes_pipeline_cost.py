"""CPU time of each scenes pretraining twin's data pipeline per training step, per transform.

    python tools/benchmarks/scenes_pipeline_cost.py [--data-root data/scenes] [--images 320]
        [--repeats 3] [--configs CONFIG ...]

Builds each config's training pipeline (by default the four pretraining twins of the scenes
benchmark; ``--configs`` paths are relative to the repository root), runs it on the first
``--images`` training images in one process, decoding included, and prints the CPU time of this
thread (``time.thread_time``, so other processes on the machine do not inflate it) that one
step's batch (``train_dataloader.batch_size`` images) costs, with each transform's own share: its
time without the transforms it calls, so that ``MultiView``, ``RandomApply`` and BAM's
``BlockWiseViews`` count only their own work. The configs are timed in turn ``--repeats`` times;
each gets its fastest pass. Only ``BaseTransform`` subclasses are timed on their own; anything
else a pipeline calls counts for its caller. In the job this work runs in the data workers, on
the same 2 cores as the step's compute, so it slows a step even when ``data_time`` is small.
"""
import argparse
import collections
import os.path as osp
import time

from mmcv.transforms import BaseTransform

from bam_pipeline_throughput import ROOT, train_images, training_pipeline
from mls_mm.utils import load_config

TWINS = ('configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py',
         'configs/simsiam/simsiam_resnet18_1xb32-coslr-10e_scenes.py',
         'configs/mls/mls_resnet18_1xb32-coslr-10e_scenes.py',
         'configs/bam/bam_resnet18_1xb32-coslr-10e_scenes.py')


class TransformClock:
    """While active, adds each ``BaseTransform.__call__``'s own time (``clock`` seconds, less
    the transforms it calls) to ``own[class name]``; restores ``__call__`` on exit."""

    def __init__(self, clock=time.thread_time):
        self.clock = clock
        self.own = collections.defaultdict(float)
        self._nested = []  # per open call: the time of the transforms it has called so far

    def __enter__(self):
        self._call = BaseTransform.__call__
        clock, call = self, self._call

        def timed(transform, results):
            clock._nested.append(0.0)
            start = clock.clock()
            try:
                return call(transform, results)
            finally:
                total = clock.clock() - start
                clock.own[type(transform).__name__] += total - clock._nested.pop()
                if clock._nested:
                    clock._nested[-1] += total

        BaseTransform.__call__ = timed
        return self

    def __exit__(self, *exc):
        BaseTransform.__call__ = self._call


def own_times(pipe, files):
    """{transform: own seconds} of one pass of ``pipe`` over ``files``."""
    with TransformClock() as clock:
        for idx, path in enumerate(files):
            pipe(dict(img_path=path, sample_idx=idx))
    return dict(clock.own)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=osp.join(ROOT, 'data/scenes'))
    p.add_argument('--images', type=int, default=320)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--configs', nargs='+', default=list(TWINS))
    args = p.parse_args(argv)
    files = train_images(args.data_root, args.images)
    cfgs = {config: load_config(osp.join(ROOT, config)) for config in args.configs}
    pipes = {config: training_pipeline(cfg) for config, cfg in cfgs.items()}
    for pipe in pipes.values():  # warm-up: file cache, lazy imports
        own_times(pipe, files)
    best = {}
    for _ in range(args.repeats):
        for config, pipe in pipes.items():
            own = own_times(pipe, files)
            if config not in best or sum(own.values()) < sum(best[config].values()):
                best[config] = own
    print(f'{len(files)} images from {args.data_root}, one process, CPU ms per step, '
          f'best of {args.repeats}')
    totals = {}
    for config, own in best.items():
        batch = cfgs[config].train_dataloader.batch_size
        per_step, total = 1000 * batch / len(files), sum(own.values())
        totals[config] = per_step * total
        print(f'{osp.basename(config)}: {totals[config]:.0f} ms per step of {batch} images')
        for name, seconds in sorted(own.items(), key=lambda kv: -kv[1]):
            print(f'    {name:24s} {per_step * seconds:6.1f} ms ({100 * seconds / total:4.1f} %)')
    return totals


if __name__ == '__main__':
    main()
