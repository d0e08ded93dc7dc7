"""Evaluate a checkpoint with an mmengine config's test loop and evaluator, as mmpretrain's test.py.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE [--out-item pred|metrics]]
                         [--cfg-options key=value ...] [--launcher pytorch|slurm|mpi]

CHECKPOINT is a local file or a URL that mmengine's ``CheckpointLoader`` reads
(``http(s)://``, ``torchvision://``, ``open-mmlab://``, ``mmcls://``, ``s3://``, ...; http(s)
downloads go to ``$TORCH_HOME/hub/checkpoints``). ``--out`` dumps the predictions (the default
``--out-item pred``: mmengine's ``DumpResults``, a ``.pkl`` / ``.pickle`` of one dict per test
sample) or the metrics (``--out-item metrics``: ``mmengine.dump``, ``.json`` / ``.yaml`` /
``.yml`` / ``.pkl`` / ``.pickle``).
"""
import argparse
import os
import os.path as osp

import mmengine
from mmengine.config import DictAction
from mmengine.dist import is_distributed
from mmengine.evaluator import DumpResults
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mls_mm  # noqa: F401 - registers the plugin and the checkpoint compat
from mls_mm.utils import init_distributed, load_config

#: the suffixes each ``--out-item`` can write
OUT_SUFFIXES = {'pred': ('.pkl', '.pickle'),
                'metrics': ('.json', '.yaml', '.yml', '.pkl', '.pickle')}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file or URL (http(s)://, '
                        'torchvision://, open-mmlab://, ... as mmengine loads them)')
    parser.add_argument('--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument('--out', help='dump the predictions (.pkl/.pickle) or, with '
                        '--out-item metrics, the metrics (.json/.yaml/.yml/.pkl/.pickle) '
                        'to this file')
    parser.add_argument('--out-item', choices=['pred', 'metrics'],
                        help='what --out holds: the predictions (default) or the metrics')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def is_url(path: str) -> bool:
    """True for a checkpoint name with a scheme (``http://``, ``open-mmlab://``, ...)."""
    return '://' in path


def check_args(args) -> None:
    """Refuse, before anything is built, a missing local checkpoint and a bad ``--out``."""
    if not is_url(args.checkpoint) and not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    if args.out_item is not None and args.out is None:
        raise ValueError(f'--out-item {args.out_item} needs --out FILE')
    if args.out is not None:
        item = args.out_item or 'pred'
        if not args.out.lower().endswith(OUT_SUFFIXES[item]):
            raise ValueError(f'--out {args.out}: the {item} (--out-item {item}) are written '
                             f'as {" / ".join(OUT_SUFFIXES[item])}, not '
                             f'{osp.splitext(args.out)[1] or "a file without suffix"}')


def main(argv=None):
    args = parse_args(argv)
    check_args(args)
    cfg = load_config(args.config, args.work_dir, args.cfg_options, args.launcher)
    cfg.load_from = args.checkpoint
    if args.launcher != 'none' and not is_distributed():
        init_distributed(args.launcher, cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if args.out and (args.out_item or 'pred') == 'pred':
        out_dir = osp.dirname(osp.abspath(args.out))
        os.makedirs(out_dir, exist_ok=True)
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    metrics = runner.test()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)
    return metrics


if __name__ == '__main__':
    main()
