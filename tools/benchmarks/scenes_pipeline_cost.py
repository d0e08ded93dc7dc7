"""Data cost of each scenes pretraining twin, per transform, in milliseconds of one CPU core.

    python tools/benchmarks/scenes_pipeline_cost.py [--data-root data/scenes] [--images 320]
        [--configs CONFIG ...]

Builds each config's training pipeline (by default the four pretraining twins of the scenes
benchmark), runs it on the first ``--images`` training images in one process, including
decoding, and prints the milliseconds that one step's batch (``train_dataloader.batch_size``
images) costs, with each transform's own share (its time without the transforms it wraps:
``MultiView``, ``RandomApply`` and BAM's ``BlockWiseViews`` count only their own work). In the
job this work runs in the data workers, on the same 2 cores as the step's compute, so it slows a
step even when ``data_time`` is small. Run it alone.
"""
import argparse
import collections
import glob
import os.path as osp
import time

from mmcv.transforms import BaseTransform, Compose
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS

import mls_mm  # noqa: F401
from mls_mm.utils import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TWINS = ('configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py',
         'configs/simsiam/simsiam_resnet18_1xb32-coslr-10e_scenes.py',
         'configs/mls/mls_resnet18_1xb32-coslr-10e_scenes.py',
         'configs/bam/bam_resnet18_1xb32-coslr-10e_scenes.py')


class TransformClock:
    """Times every ``BaseTransform.__call__`` while active: own time per transform class."""

    def __init__(self):
        self.own = collections.defaultdict(float)
        self._children = []  # time spent in nested transforms, one entry per open call

    def __enter__(self):
        self._call = BaseTransform.__call__
        clock, call = self, self._call

        def timed(transform, results):
            clock._children.append(0.0)
            start = time.perf_counter()
            try:
                return call(transform, results)
            finally:
                total = time.perf_counter() - start
                nested = clock._children.pop()
                clock.own[type(transform).__name__] += total - nested
                if clock._children:
                    clock._children[-1] += total

        BaseTransform.__call__ = timed
        return self

    def __exit__(self, *exc):
        BaseTransform.__call__ = self._call


def pipeline_cost(config, files):
    """(batch size, {transform: seconds over ``files``}) of ``config``'s training pipeline."""
    cfg = load_config(osp.join(ROOT, config))
    init_default_scope(cfg.default_scope)
    pipe = Compose([TRANSFORMS.build(t) for t in cfg.train_dataloader.dataset.pipeline])
    for idx, path in enumerate(files[:8]):  # warm-up: imports, caches
        pipe(dict(img_path=path, sample_idx=idx))
    with TransformClock() as clock:
        for idx, path in enumerate(files):
            pipe(dict(img_path=path, sample_idx=idx))
    return cfg.train_dataloader.batch_size, dict(clock.own)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=osp.join(ROOT, 'data/scenes'))
    p.add_argument('--images', type=int, default=320)
    p.add_argument('--configs', nargs='+', default=list(TWINS))
    args = p.parse_args(argv)
    files = sorted(glob.glob(osp.join(args.data_root, 'train2017', '*.jpg')))[:args.images]
    if not files:
        raise FileNotFoundError(f'no images in {osp.join(args.data_root, "train2017")}: run '
                                'tools/generate_scenes.py first')
    print(f'{len(files)} images from {args.data_root}, one process, ms of one core per step')
    results = {}
    for config in args.configs:
        batch, own = pipeline_cost(config, files)
        per_step = 1000 * batch / len(files)
        total = per_step * sum(own.values())
        results[config] = total
        print(f'{osp.basename(config)}: {total:.0f} ms per step of {batch} images')
        for name, seconds in sorted(own.items(), key=lambda kv: -kv[1]):
            print(f'    {name:24s} {per_step * seconds:6.1f} ms')
    return results


if __name__ == '__main__':
    main()
