"""Convert an MLS checkpoint of mls_mm 0.1 (three queue modules) to one ``FeatureQueue``.

Usage::

    python tools/model_converters/convert_mls_queues.py OLD.pth NEW.pth [--reset-misaligned]

``queue_g.feats``, ``queue_z.feats``, ``queue_labels.feats`` and their pointers become
``queue.g``, ``queue.z``, ``queue.labels`` and ``queue.ptr``; the rest of the checkpoint
(meta, optimizer, message hub) is kept, so ``--resume`` from NEW.pth continues the run. A
checkpoint whose three pointers differ (a device run of 0.1, whose dictionaries came apart)
is refused unless ``--reset-misaligned``, which drops the dictionaries (they are refilled by
training). Exit status 1 with the reason on any problem.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mls_mm  # noqa: E402,F401 - checkpoint compat (safe globals)
from mls_mm.models.utils import convert_legacy_queue_state  # noqa: E402
from mmengine.runner.checkpoint import CheckpointLoader  # noqa: E402


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='mls_mm 0.1 MLS checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument('--reset-misaligned', action='store_true',
                        help='drop dictionaries whose pointers disagree instead of failing')
    args = parser.parse_args(argv)
    if not osp.isfile(args.src):
        print(f'error: checkpoint not found: {args.src}', file=sys.stderr)
        return 1
    checkpoint = CheckpointLoader.load_checkpoint(args.src, map_location='cpu')
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        print(f'error: {args.src} is not an mmengine checkpoint (no "state_dict")',
              file=sys.stderr)
        return 1
    try:
        checkpoint['state_dict'] = convert_legacy_queue_state(
            checkpoint['state_dict'], reset_misaligned=args.reset_misaligned)
    except ValueError as exc:
        print(f'error: {args.src}: {exc}', file=sys.stderr)
        return 1
    torch.save(checkpoint, args.dst)
    print(f'wrote {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
