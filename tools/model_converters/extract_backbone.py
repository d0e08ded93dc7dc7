"""Extract the backbone of a pretraining checkpoint for a downstream library, checked.

Usage (CHECKPOINT: an mmengine checkpoint of MoCo v2 / SimSiam / MLS / BAM, or a bare state
dict; the online ``backbone.*`` is taken, the EMA copy / neck / head are dropped)::

    # mmdet / mmseg / mmpretrain: {'state_dict', 'meta'}, same keys as the backbone; load with
    # init_cfg=dict(type='Pretrained', checkpoint=OUT) or CheckedPretrained with prefix=''
    python tools/model_converters/extract_backbone.py CKPT r50_mmdet.pth --target mmdet \
        --config configs/benchmarks/mmdetection/coco/mask-rcnn_r50_fpn-syncbn_ms-1x_coco.py
    python tools/model_converters/extract_backbone.py CKPT r50_mmseg.pth --target mmseg
    # and the --cfg-options for tools/train.py (every CheckedPretrained module of the config)
    python tools/model_converters/extract_backbone.py CKPT r50_mmdet.pth --target mmdet \
        --config CONFIG --cfg-options-out options.txt
    python tools/model_converters/extract_backbone.py CKPT r50_cls.pth --target mmpretrain
    # torchvision: a bare state dict for torchvision.models.resnet50() (fc.* stays missing)
    python tools/model_converters/extract_backbone.py CKPT r50_tv.pth --target torchvision
    # detectron2: pickle {'model': {k: ndarray}, '__author__', 'matching_heuristics': True},
    # names as facebookresearch/moco's convert-pretrain-to-detectron2.py
    python tools/model_converters/extract_backbone.py CKPT r50_d2.pkl --target detectron2

Every conversion is checked key by key before anything is written: OpenMMLab targets against
``model.backbone`` of ``--config`` (built with the target library's ``MODELS`` registry, its
``init_cfg`` not run) or against the library's plain ``ResNet(--depth)``; torchvision against
``torchvision.models.resnet{depth}()``; detectron2 (not installed here) by mapping its keys
back to torchvision's and checking those. ``--depth`` is inferred from the keys if not given.
Exit status 1, with the missing / unexpected / mis-shaped keys listed, on any mismatch.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mls_mm  # noqa: E402,F401 - registers modules, checkpoint compat
from mls_mm.transfer import (TARGETS, KeyMismatchError, convert_backbone,  # noqa: E402
                             load_backbone, save_converted)
from mls_mm.transfer.backbone_weights import conversion_meta  # noqa: E402
from mls_mm.transfer.init_targets import init_cfg_options  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract, convert and check the backbone of a pretraining checkpoint.')
    parser.add_argument('checkpoint', help='pretraining checkpoint (.pth)')
    parser.add_argument('out', help='output file (.pth; .pkl for detectron2)')
    parser.add_argument('--target', choices=TARGETS, default='mmdet',
                        help='format of the output (default: mmdet)')
    parser.add_argument('--config', default=None,
                        help='mmdet/mmseg/mmpretrain config whose model.backbone is the target')
    parser.add_argument('--depth', type=int, default=None,
                        help='ResNet depth of the target (default: inferred from the keys)')
    parser.add_argument('--prefix', default='backbone.',
                        help="prefix of the backbone keys in CHECKPOINT ('' for none)")
    parser.add_argument('--cfg-options-out', default=None, metavar='FILE',
                        help='with --config: also write to FILE, one per line, the '
                        'tools/train.py --cfg-options that make every CheckedPretrained module '
                        'of the config (the backbone; for C4 also the res5 head) load OUT')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.cfg_options_out and not args.config:
        print('extract_backbone: --cfg-options-out needs --config (the config whose modules '
              'load the file)', file=sys.stderr)
        return 1
    try:
        weights, source_meta = load_backbone(args.checkpoint, args.prefix)
        converted, checked = convert_backbone(weights, args.target, config=args.config,
                                              depth=args.depth, source=args.checkpoint)
        options = init_cfg_options(args.config, args.out) if args.cfg_options_out else []
    except (KeyMismatchError, ValueError, FileNotFoundError) as err:  # incl. UnmappableKeyError
        print(f'extract_backbone: {type(err).__name__}: {err}', file=sys.stderr)
        return 1
    meta = conversion_meta(args.checkpoint, source_meta,
                           f'{args.prefix!r} -> {args.target}, checked against {checked}')
    save_converted(converted, args.out, args.target, meta)
    if args.cfg_options_out:
        with open(args.cfg_options_out, 'w') as f:
            f.write(''.join(f'{option}\n' for option in options))
    print(f'wrote {len(converted)} keys to {args.out}\n'
          f'  source:  {args.checkpoint} (prefix {args.prefix!r}, {len(weights)} keys)\n'
          f'  target:  {args.target}\n'
          f'  checked: key by key against {checked}: no missing, unexpected or mis-shaped key')
    if args.cfg_options_out:
        print(f'  loaded by: {", ".join(o.split(".init_cfg.")[0] for o in options[::2])} '
              f'(--cfg-options in {args.cfg_options_out})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
