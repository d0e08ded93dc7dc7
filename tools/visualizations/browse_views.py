"""Browse the views a config's training pipeline makes: one PNG, one row per image, one column
per view (BAM's BlockWiseViews: 8 = 4 blocks x 2 pipelines; MoCo v2's MultiView: 2).

    python tools/visualizations/browse_views.py CONFIG [--num-images 4] [--out views.png]
        [--seed 0] [--cell-size 128] [--cfg-options key=value ...]

The dataset is ``train_dataloader.dataset`` of CONFIG (point it at another folder with
``--cfg-options train_dataloader.dataset.data_root=...``); the first ``--num-images`` samples
go through its pipeline after ``mmengine.runner.set_random_seed(--seed)``, so a seed always
gives the same picture. Each view fills a ``--cell-size`` px square cell (nearest-neighbour,
1 px white border), so the PNG is columns x rows cells exactly; the column labels (BAM:
``b<block> p<pipeline>``) and the image paths are in the PNG's ``Description`` text.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Tuple

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Draw the training pipeline's views")
    parser.add_argument('config', help='a pretraining config')
    parser.add_argument('--num-images', type=int, default=4, help='rows (default 4)')
    parser.add_argument('--out', default='views.png', help='the PNG to write')
    parser.add_argument('--seed', type=int, default=0, help='random seed of the augmentations')
    parser.add_argument('--cell-size', type=int, default=128, help='pixels per view cell')
    from mmengine.config import DictAction
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    args = parser.parse_args(argv)
    if args.num_images < 1:
        parser.error(f'--num-images must be >= 1, got {args.num_images}')
    if args.cell_size < 8:
        parser.error(f'--cell-size must be >= 8 pixels, got {args.cell_size}')
    if not args.out.lower().endswith('.png'):
        parser.error(f'--out {args.out}: the picture is written as .png')
    return args


def build_dataset(config: str, cfg_options=None):
    """``train_dataloader.dataset`` of the config, built with mmpretrain's registry."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS
    import mls_mm  # noqa: F401 - the plugin's transforms
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'train_dataloader' not in cfg or 'dataset' not in cfg.train_dataloader:
        raise KeyError(f'{config} has no train_dataloader.dataset')
    # nested transforms (RandomApply's, BlockWiseViews') resolve in the config's scope
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    return DATASETS.build(cfg.train_dataloader.dataset)


def view_labels(sample) -> List[str]:
    """Column labels: ``b<block> p<pipeline>`` for block-wise views, ``view <k>`` otherwise."""
    inputs = sample['inputs']
    count = len(inputs) if isinstance(inputs, (list, tuple)) else 1
    block = sample['data_samples'].get('block_index') if 'data_samples' in sample else None
    if block is not None and len(block) == count:
        per = max(int(b) for b in block) + 1
        return [f'b{int(b) + 1} p{k // per + 1}' for k, b in enumerate(block)]
    return [f'view {k + 1}' for k in range(count)]


def collect_views(dataset, num_images: int, seed: int) -> Tuple[list, List[str], List[str]]:
    """RGB uint8 (H, W, 3) views of the first ``num_images`` samples, after seeding.

    Returns ``(rows, labels, paths)``: one list of views per image, the labels of the
    longest row's columns, and the image paths.
    """
    from mmengine.runner import set_random_seed
    if len(dataset) < num_images:
        raise ValueError(f'--num-images {num_images} but the dataset has {len(dataset)} images')
    set_random_seed(seed)
    rows, labels, paths = [], [], []
    for index in range(num_images):
        sample = dataset[index]
        inputs = sample['inputs']
        inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        # PackInputs gives (C, H, W) BGR tensors
        rows.append([np.ascontiguousarray(v.numpy().transpose(1, 2, 0)[..., ::-1]) for v in inputs])
        row_labels = view_labels(sample)
        if len(row_labels) > len(labels):
            labels = row_labels
        paths.append(str(sample['data_samples'].get('img_path', index)))
    return rows, labels, paths


def draw_grid(rows: list, out: str, cell: int = 128, description: str = '') -> Tuple[int, int]:
    """Write the views as a PNG of ``len(rows)`` x max-row-length cells; returns (w, h) px."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    num_rows, num_cols = len(rows), max(len(r) for r in rows)
    fig = plt.figure(figsize=(num_cols, num_rows), dpi=cell, facecolor='white')
    border_x, border_y = 1 / (cell * num_cols), 1 / (cell * num_rows)   # 1 px
    for r, views in enumerate(rows):
        for c, view in enumerate(views):
            ax = fig.add_axes([c / num_cols + border_x, 1 - (r + 1) / num_rows + border_y,
                               1 / num_cols - 2 * border_x, 1 / num_rows - 2 * border_y])
            ax.imshow(view, interpolation='nearest', aspect='auto')
            ax.set_axis_off()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=cell, facecolor='white', metadata={'Description': description})
    plt.close(fig)
    return num_cols * cell, num_rows * cell


def main(argv=None):
    args = parse_args(argv)
    dataset = build_dataset(args.config, args.cfg_options)
    rows, labels, paths = collect_views(dataset, args.num_images, args.seed)
    description = (f'config: {args.config}; seed: {args.seed}; columns: {", ".join(labels)}; '
                   f'rows: {", ".join(paths)}')
    width, height = draw_grid(rows, args.out, args.cell_size, description)
    print(f'{len(rows)} images x {len(labels)} views ({width} x {height} px) -> {args.out}')
    return args.out


if __name__ == '__main__':
    main()
