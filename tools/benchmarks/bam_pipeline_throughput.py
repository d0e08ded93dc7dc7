"""Views per second of BAM's block-wise pipeline against SimSiam's two-view pipeline.

    python tools/benchmarks/bam_pipeline_throughput.py [--data-root data/scenes]
        [--images 200] [--repeats 3] [--coco]

Both pipelines come from the repo's configs (the scenes twins at 64 px, or with ``--coco`` the
COCO configs at 224 px), run in one process on the same image files, including decoding, and
are timed alternately ``--repeats`` times (best of each reported). Prints views per second for
each and the ratio BAM / SimSiam (target >= 0.9: BAM decodes each image once for 8 views).
"""
import argparse
import glob
import os.path as osp
import time

from mmcv.transforms import Compose
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS

import mls_mm  # noqa: F401
from mls_mm.utils import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCENES = dict(bam='configs/bam/bam_resnet18_1xb32-coslr-10e_scenes.py',
              simsiam='configs/simsiam/simsiam_resnet18_1xb32-coslr-10e_scenes.py')
COCO = dict(bam='configs/bam/bam_resnet50_2xb62-coslr-400e_coco.py',
            simsiam='configs/simsiam/simsiam_resnet50_8xb32-coslr-200e_coco.py')


def pipeline(config):
    return training_pipeline(load_config(osp.join(ROOT, config)))


def training_pipeline(cfg):
    """The ``Compose`` of a loaded config's ``train_dataloader.dataset.pipeline``."""
    init_default_scope(cfg.default_scope)
    return Compose([TRANSFORMS.build(t) for t in cfg.train_dataloader.dataset.pipeline])


def train_images(data_root, limit):
    """The first ``limit`` training images of a scenes folder; an error naming it if none."""
    files = sorted(glob.glob(osp.join(data_root, 'train2017', '*.jpg')))[:limit]
    if not files:
        raise FileNotFoundError(f'no images in {osp.join(data_root, "train2017")}: run '
                                'tools/generate_scenes.py first')
    return files


def views_per_second(pipe, files):
    start = time.perf_counter()
    views = 0
    for idx, path in enumerate(files):
        out = pipe(dict(img_path=path, sample_idx=idx))
        views += len(out['inputs'])
    return views / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default=osp.join(ROOT, 'data/scenes'))
    p.add_argument('--images', type=int, default=200)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--coco', action='store_true', help='the COCO configs (224 px views)')
    args = p.parse_args()
    files = train_images(args.data_root, args.images)
    pipes = {name: pipeline(cfg) for name, cfg in (COCO if args.coco else SCENES).items()}
    best = {name: 0.0 for name in pipes}
    for _ in range(args.repeats):
        for name, pipe in pipes.items():
            best[name] = max(best[name], views_per_second(pipe, files))
    print(f'{len(files)} images from {args.data_root}, best of {args.repeats}, '
          f'{"COCO (224 px)" if args.coco else "scenes (64 px)"} pipelines, one process')
    for name, vps in best.items():
        print(f'{name:8s} {vps:8.1f} views/s')
    print(f'ratio BAM / SimSiam: {best["bam"] / best["simsiam"]:.3f} (target >= 0.9)')


if __name__ == '__main__':
    main()
