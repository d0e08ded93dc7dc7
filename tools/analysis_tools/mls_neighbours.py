"""MLS pseudo-positives as pictures: each query image beside its k nearest images (PNG grid).

The neighbours are chosen as in training, by :meth:`MLSHead.pseudo_labels` (top-k cosine
similarity of the L2-normalised pooled backbone feature ``g``): queries are encoded by the
online encoder, the bank by the momentum encoder, as Q_g is filled. The bank is **not** the
stored dictionary: Q_g holds momentum features of random crops from past batches, which
cannot be traced back to pixels. It is a bank of dataset images re-encoded whole, resized to
the pretraining crop size (``crop_size`` of the config, else 224). When the checkpoint has a
label queue (``num_classes`` set) and the queries have labels, the stored dictionary is also
searched and the share of its k nearest keys that share a category with the query is printed
(the ``pl_precision`` of the log, on these queries).

Titles give the ground-truth categories when the split has a COCO annotation file; a green
frame marks a neighbour sharing at least one category with its query, red none, grey unknown.

Usage::

    python tools/analysis_tools/mls_neighbours.py CONFIG CHECKPOINT [--out grid.png]
    python tools/analysis_tools/mls_neighbours.py WORK_DIR    # its dumped config, last_checkpoint
"""
import argparse
import glob
import os.path as osp
import sys
import textwrap

import matplotlib
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

IMAGENET = ([123.675, 116.28, 103.53], [58.395, 57.12, 57.375])


def build_model(config: str, checkpoint: str):
    """The MLS model of ``config`` with the weights and dictionaries of ``checkpoint``."""
    import mls_mm  # noqa: F401  (registers MLS; checkpoint safe globals)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.eval(), cfg


def list_split(data_root: str, split: str):
    """Files of ``<data_root>/<split>2017`` with their class indices and the class names
    when ``annotations/instances_<split>2017.json`` exists (else None for both)."""
    ann = osp.join(data_root, 'annotations', f'instances_{split}2017.json')
    img_dir = osp.join(data_root, f'{split}2017')
    labels = classes = None
    if osp.isfile(ann):
        from mls_mm.datasets.coco_utils import coco_image_labels, load_coco_json
        coco = load_coco_json(ann)
        by_id = coco_image_labels(coco)
        files = [osp.join(img_dir, im['file_name']) for im in coco['images']]
        labels = [by_id[im['id']] for im in coco['images']]
        classes = [c['name'] for c in coco['categories']]
    else:
        files = sorted(f for f in glob.glob(osp.join(img_dir, '*'))
                       if f.lower().endswith(('.jpg', '.jpeg', '.png')))
    if not files:
        raise FileNotFoundError(f'no images in {img_dir}')
    return files, labels, classes


def load_split(data_root: str, split: str, size: int, mean=IMAGENET[0], std=IMAGENET[1],
               indices=None):
    """Images of ``<data_root>/<split>2017`` resized to ``size``, and their labels if known.

    Returns:
        dict: ``images`` (N, 3, size, size) normalised tensor (RGB), ``pixels`` (N, size,
        size, 3) uint8, ``labels`` (list of class-index lists, or None), ``classes`` (names,
        or None), ``files``. ``indices`` picks images of the split (all by default).
    """
    files, labels, classes = list_split(data_root, split)
    indices = range(len(files)) if indices is None else indices
    files = [files[i] for i in indices]
    labels = [labels[i] for i in indices] if labels is not None else None
    pixels = np.stack([np.asarray(Image.open(f).convert('RGB').resize((size, size),
                                                                      Image.BILINEAR))
                       for f in files])
    x = torch.from_numpy(pixels).permute(0, 3, 1, 2).float()
    x = (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    return dict(images=x, pixels=pixels, labels=labels, classes=classes, files=files)


@torch.no_grad()
def encode(encoder: nn.Module, images: torch.Tensor, batch: int = 64) -> torch.Tensor:
    """(N, d_g) L2-normalised ``g`` of an ``nn.Sequential(backbone, MLSNeck)``."""
    return torch.cat([F.normalize(encoder(images[i:i + batch])[0], dim=1)
                      for i in range(0, len(images), batch)])


def neighbours(head, queries: torch.Tensor, bank: torch.Tensor, k: int):
    """Top-k rows of ``bank`` (D, d) for each query (Q, d) by ``head.pseudo_labels``.

    Returns:
        tuple: indices (Q, k), most similar first, and their cosine similarities (Q, k).
    """
    topk, head.topk = head.topk, k
    try:
        _, idx = head.pseudo_labels(queries, bank)
    finally:
        head.topk = topk
    return idx, torch.gather(F.normalize(queries, dim=1) @ bank.T, 1, idx)


def _names(labels, classes):
    return ', '.join(classes[c] for c in labels) if labels else '(no object)'


def draw_grid(query, bank, idx, sims, out: str, title: str = '') -> str:
    """Rows: a query, then its neighbours; titles with the categories; frames by agreement."""
    n, k = idx.shape
    fig, axes = plt.subplots(n, k + 1, figsize=(1.5 * (k + 1), 2.3 * n), squeeze=False)
    for row in range(n):
        q_lab = query['labels'][row] if query['labels'] is not None else None
        cells = [(query['pixels'][row], q_lab, 'query', 'black')]
        for col in range(k):
            j = int(idx[row, col])
            b_lab = bank['labels'][j] if bank['labels'] is not None else None
            share = None if q_lab is None or b_lab is None else bool(set(q_lab) & set(b_lab))
            color = {None: 'grey', True: 'green', False: 'red'}[share]
            cells.append((bank['pixels'][j], b_lab, f'{float(sims[row, col]):.2f}', color))
        for ax, (pix, lab, head, color) in zip(axes[row], cells):
            ax.imshow(pix)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_edgecolor(color)
                spine.set_linewidth(3)
            names = '' if lab is None else '\n' + textwrap.fill(
                _names(lab, query['classes']), 22)
            ax.set_title(head + names, fontsize=5)
    fig.suptitle(title, fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


@torch.no_grad()
def dictionary_precision(model, queries: torch.Tensor, labels, k: int):
    """Share of the k nearest stored Q_g keys sharing a category with each query, and chance."""
    if 'labels' not in model.queue.fields or labels is None:
        return None
    filled = model.queue.filled_rows('labels')
    if int(filled.sum()) < k:
        return None
    rows = filled.nonzero().squeeze(1)
    idx, _ = neighbours(model.head, queries, model.queue.g[rows], k)
    hot = torch.zeros(len(labels), model.num_classes)
    for i, lab in enumerate(labels):
        hot[i, lab] = 1.0
    entry = model.queue.labels[rows]                             # (D', C)
    shared = torch.einsum('qkc,qc->qk', entry[idx], hot) > 0
    chance = (entry @ hot.T > 0).float().mean()
    return float(shared.float().mean()), float(chance)


def run(config, checkpoint, data_root=None, num_queries=8, topk=8, img_size=None,
        max_bank=2048, bank_encoder='momentum', seed=0, out='mls_neighbours.png'):
    """Build, encode, search, draw. Returns a dict with the queries, neighbours and PNG path."""
    model, cfg = build_model(config, checkpoint)
    data_root = data_root or cfg.train_dataloader.dataset.data_root
    size = img_size or cfg.get('crop_size', 224)
    pre = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor') or {}
    norm = (pre.get('mean', IMAGENET[0]), pre.get('std', IMAGENET[1]))
    n_bank, n_val = (len(list_split(data_root, split)[0]) for split in ('train', 'val'))
    keep = None
    if n_bank > max_bank:
        keep = sorted(np.random.default_rng(seed).choice(n_bank, max_bank, replace=False))
    bank = load_split(data_root, 'train', size, *norm, indices=keep)
    q_idx = sorted(np.random.default_rng(seed).choice(n_val, min(num_queries, n_val),
                                                      replace=False).tolist())
    query = load_split(data_root, 'val', size, *norm, indices=q_idx)
    online = nn.Sequential(model.backbone, model.neck)
    key_enc = model.momentum_encoder.module if bank_encoder == 'momentum' else online
    q_feat, b_feat = encode(online, query['images']), encode(key_enc, bank['images'])
    idx, sims = neighbours(model.head, q_feat, b_feat, topk)
    stored = dictionary_precision(model, q_feat, query['labels'], topk)
    title = (f'{osp.basename(checkpoint)}: {len(q_idx)} val queries, top-{topk} of '
             f"{len(bank['files'])} train images ({bank_encoder} encoder, {size} px)")
    if stored is not None:
        title += (f'; stored Q_g: {stored[0]:.2f} of its top-{topk} share a category '
                  f'(chance {stored[1]:.2f})')
    draw_grid(query, bank, idx, sims, out, title)
    return dict(query_indices=q_idx, bank_files=bank['files'], neighbours=idx, sims=sims,
                stored_precision=stored, out=out)


def main(argv=None):
    p = argparse.ArgumentParser(description='MLS query / pseudo-positive neighbour grid')
    p.add_argument('config', help='MLS config, or a work_dir (dumped config, last_checkpoint)')
    p.add_argument('checkpoint', nargs='?', help='checkpoint (default: last_checkpoint)')
    p.add_argument('--data-root', help="dataset root (default: the config's train data_root)")
    p.add_argument('--num-queries', type=int, default=8)
    p.add_argument('--topk', type=int, default=8, help='neighbours shown (training: head.topk)')
    p.add_argument('--img-size', type=int, help="encoding size (default: config's crop_size)")
    p.add_argument('--max-bank', type=int, default=2048, help='train images encoded at most')
    p.add_argument('--bank-encoder', choices=['momentum', 'online'], default='momentum')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='mls_neighbours.png')
    a = p.parse_args(argv)
    config, checkpoint = a.config, a.checkpoint
    if osp.isdir(config):
        with open(osp.join(config, 'last_checkpoint')) as f:
            checkpoint = checkpoint or f.read().strip()
        config = sorted(glob.glob(osp.join(config, '*.py')), key=osp.getmtime)[-1]
    result = run(config, checkpoint, a.data_root, a.num_queries, a.topk, a.img_size,
                 a.max_bank, a.bank_encoder, a.seed, a.out)
    stored = result['stored_precision']
    if stored is not None:
        print(f'stored dictionary: {stored[0]:.3f} of the top-{a.topk} keys share a category '
              f'with their query (chance {stored[1]:.3f})')
    print(f"written: {result['out']}")
    return result


if __name__ == '__main__':
    main()
