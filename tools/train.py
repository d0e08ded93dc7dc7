"""Train (pretrain or fine-tune) a model from an mmengine config, as mmpretrain's train.py.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp | --bf16]
                                 [--cfg-options key=value ...] [--launcher pytorch|slurm|mpi]

``--amp``: float16 with loss scaling (mmengine's ``AmpOptimWrapper``, GPU only). ``--bf16``:
the backbones in bfloat16 autocast, with channels-last weights, on the CPU or a GPU; necks,
heads and losses in float32 (mls_mm's ``AutocastOptimWrapper``): faster where the CPU runs
bfloat16 natively, but not neutral (``tools/run_main.py --precision``).
"""
import argparse
import os

from mmengine.config import DictAction
from mmengine.dist import get_world_size, is_distributed
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mls_mm  # noqa: F401 - registers the plugin and the checkpoint compat
from mls_mm.utils import check_queue_config, init_distributed, load_config


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or without a path from the '
                        'latest checkpoint in the work dir')
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument('--amp', action='store_true',
                           help='float16 automatic mixed precision (AmpOptimWrapper, GPU)')
    precision.add_argument('--bf16', action='store_true',
                           help='backbones in bfloat16 autocast, channels-last weights '
                           '(AutocastOptimWrapper, CPU or GPU)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by actual / base batch size (auto_scale_lr)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    cfg = load_config(args.config, args.work_dir, args.cfg_options, args.launcher)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.bf16:
        cfg.optim_wrapper.update(type='AutocastOptimWrapper', dtype='bfloat16',
                                 channels_last=True)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not os.path.isfile(args.resume):
            raise FileNotFoundError(f'--resume checkpoint not found: {args.resume}')
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    if args.launcher != 'none' and not is_distributed():
        init_distributed(args.launcher, cfg)
    check_queue_config(cfg, get_world_size())

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
