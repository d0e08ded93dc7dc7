"""How often a backbone's nearest neighbours share a category: MLS's pseudo-label precision offline.

    python tools/benchmarks/scenes_knn_label_precision.py CHECKPOINT|random [CHECKPOINT|random ...]
        [--data data/scenes] [--size 64] [--dict-size 256] [--topk 1 2 5 20] [--banks 20]

MLS (Sec. 3.2) takes as the pseudo-positives of a query the k entries of its D-entry dictionary
Q_g nearest to the query's pooled backbone feature g. During a scenes pretraining the model logs
``pl_precision``, the share of them that share a category with the query, beside ``pl_chance``,
the share of random dictionary entries that do (what images share by construction). This
script measures the same two numbers for any scenes backbone (a pretraining or classification
checkpoint, or ``random`` weights), so that the precision a feature space would give MLS can be
read before MLS is trained on it:

- g is the global-average-pooled last stage of the scenes ResNet-18 (MLSNeck's g), of whole
  images resized to ``--size`` px (the training crops are 20-100 % of an image);
- the queries are the val images, the dictionary D train images drawn at random, encoded by the
  same backbone (in training the dictionary holds momentum-encoder keys of past crops);
- the k neighbours are picked by :meth:`MLSHead.pseudo_labels`, the training code;
- precision and chance are averaged over the queries and over ``--banks`` random dictionaries,
  and printed with their difference (the margin MLS's target asks to be 0.10 or more).
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from scenes_linear_separability import build_backbone, load_split  # noqa: E402


@torch.no_grad()
def pooled_features(backbone, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """(N, C) L2-normalised global-average-pooled last-stage features of (N, 3, H, W)."""
    return torch.cat([F.normalize(backbone(chunk)[-1].mean((2, 3)), dim=1)
                      for chunk in images.split(batch)])


@torch.no_grad()
def label_precision(queries: torch.Tensor, query_labels: torch.Tensor, bank: torch.Tensor,
                    bank_labels: torch.Tensor, topk: int):
    """Share of each query's ``topk`` nearest bank rows that share a category with it.

    Args:
        queries (Tensor): (Q, d) features. bank (Tensor): (D, d) L2-normalised features.
        query_labels (Tensor): (Q, C) multi-hot. bank_labels (Tensor): (D, C) multi-hot.
        topk (int): k, at most D.

    Returns:
        tuple: precision (the mean over queries and neighbours) and chance (the mean share of
        all D rows that share a category with the query), both floats.
    """
    from mls_mm.models.heads import MLSHead
    _, idx = MLSHead(topk=topk).pseudo_labels(queries, bank)       # (Q, k)
    shares = (query_labels @ bank_labels.T) > 0                    # (Q, D)
    return (float(torch.gather(shares, 1, idx).float().mean()),
            float(shares.float().mean()))


def check_dict_size(root, dict_size, topks):
    """Refuse, before any image is encoded, a dictionary smaller than k or larger than the
    train split."""
    with open(osp.join(root, 'annotations', 'instances_train2017.json')) as f:
        num_train = len(json.load(f)['images'])
    if not max(topks) <= dict_size <= num_train:
        raise ValueError(f'--dict-size {dict_size} must be at least the largest --topk '
                         f'({max(topks)}) and at most the {num_train} train images of {root}')


def measure(checkpoint, root, size, dict_size, topks, banks, seed=0):
    """{k: (precision, chance)} for one backbone, averaged over ``banks`` dictionaries."""
    torch.manual_seed(seed)  # the weights of 'random'
    backbone = build_backbone(checkpoint)
    feats, labels = {}, {}
    for split in ('train', 'val'):
        images, hot = load_split(root, split, size)
        feats[split], labels[split] = pooled_features(backbone, images), torch.from_numpy(hot)
    rng = np.random.default_rng(seed)
    sums = {k: np.zeros(2) for k in topks}
    for _ in range(banks):
        rows = torch.from_numpy(rng.choice(len(feats['train']), dict_size, replace=False))
        for k in topks:
            sums[k] += label_precision(feats['val'], labels['val'], feats['train'][rows],
                                       labels['train'][rows], k)
    return {k: tuple(s / banks) for k, s in sums.items()}


def _measure_all(args):
    """The table of every checkpoint, printed; {checkpoint: {k: (precision, chance)}}."""
    results = {}
    print(f'| backbone | k of D = {args.dict_size} | precision | chance | margin |')
    print('|---|---|---|---|---|')
    for checkpoint in args.checkpoints:
        results[checkpoint] = measure(checkpoint, args.data, args.size, args.dict_size,
                                      args.topk, args.banks)
        for k, (precision, chance) in results[checkpoint].items():
            print(f'| {checkpoint} | {k} | {precision:.3f} | {chance:.3f} | '
                  f'{precision - chance:+.3f} |')
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoints', nargs='+', help="scenes checkpoints, or 'random'")
    parser.add_argument('--data', default='data/scenes')
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--dict-size', type=int, default=256,
                        help='D, dictionary entries (the scenes MLS twin: 256)')
    parser.add_argument('--topk', type=int, nargs='+', default=[1, 2, 5, 20],
                        help='k, pseudo-positives per query (the scenes MLS twin: 2; '
                             'the paper, with D = 4096: 20)')
    parser.add_argument('--banks', type=int, default=20, help='random dictionaries averaged')
    args = parser.parse_args(argv)
    if min(args.topk) < 1 or args.banks < 1:
        parser.error('--topk and --banks must be >= 1')
    check_dict_size(args.data, args.dict_size, args.topk)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _measure_all(args)
    finally:
        torch.set_num_threads(threads)  # a caller in this process (a test) keeps its own


if __name__ == '__main__':
    main()
