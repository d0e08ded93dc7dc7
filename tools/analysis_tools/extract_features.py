"""Globally average-pooled backbone features of a pretraining checkpoint, for a folder of
images or a dataset of the config, saved as .npy (+ .paths.txt) or .pth (mls_mm.apis).

    python tools/analysis_tools/extract_features.py CONFIG CHECKPOINT
        (--images DIR | --dataset KEY) --out FEATS.npy|FEATS.pth
        [--batch-size 64] [--image-size S] [--device cpu] [--cfg-options key=value ...]

--dataset names a dataset config inside CONFIG, e.g. train_dataloader.dataset (its images;
its augmentation pipeline is not used). With .npy the paths go to FEATS.paths.txt, one per
line in row order; a .pth holds {'features': (N, C) tensor, 'paths': [...]}.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mls_mm.apis.feature_extraction import (OUT_SUFFIXES, extract_features,  # noqa: E402
                                            load_cfg, save_features)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Extract pooled backbone features')
    parser.add_argument('config', help='the pretraining config')
    parser.add_argument('checkpoint', help='its checkpoint (path or URL)')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--images', help='a folder of images (searched recursively)')
    source.add_argument('--dataset', help='a dataset config key of CONFIG, e.g. '
                        'train_dataloader.dataset')
    parser.add_argument('--out', required=True, help='output file: .npy or .pth')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--image-size', type=int, default=None,
                        help='resize every image to this square (default: keep the size)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. '
                        'train_dataloader.dataset.data_root=data/scenes/')
    args = parser.parse_args(argv)
    if osp.splitext(args.out)[1].lower() not in OUT_SUFFIXES:
        parser.error(f'--out {args.out}: the features are written as '
                     f'{" or ".join(OUT_SUFFIXES)}')
    return args


def dataset_config(cfg, key: str) -> dict:
    """The dict at the dotted ``key`` of ``cfg``, or an error naming the missing part."""
    node = cfg
    for part in key.split('.'):
        if not isinstance(node, (dict, Config)) or part not in node:
            raise KeyError(f'--dataset {key}: the config has no {part!r} there')
        node = node[part]
    if not isinstance(node, dict) or 'type' not in node:
        raise ValueError(f'--dataset {key} is not a dataset config (a dict with a type)')
    return node


def main(argv=None):
    args = parse_args(argv)
    cfg = load_cfg(args.config, args.cfg_options)
    source = args.images if args.images is not None else dataset_config(cfg, args.dataset)
    feats, paths = extract_features(cfg, args.checkpoint, source, batch_size=args.batch_size,
                                    device=args.device, image_size=args.image_size)
    written = save_features(args.out, feats, paths)
    print(f'{feats.shape[0]} x {feats.shape[1]} features -> {", ".join(written)}')
    return written


if __name__ == '__main__':
    main()
