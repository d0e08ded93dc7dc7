"""How linearly the categories of the built-in scenes can be read from a backbone's features.

    python tools/benchmarks/scenes_linear_separability.py CHECKPOINT|random
        [--data data/scenes] [--size 64] [--weight-decay 0.01]

A check of the multi-label linear probe that no optimisation setting can spoil: the backbone
(the scenes ResNet-18 of configs/_base_/scenes_backbone.py, weights checked key by key) encodes
every train and val image once at ``--size`` px; the pooled features ((GAP + GMP) / 2) are
standardised with the train statistics; a logistic regression per class is fitted to
convergence (L-BFGS, L2 penalty ``--weight-decay``); the val mAP (mmpretrain's
average precision) and its chance level (the mean positive rate) are printed. The same number
for ``random`` (an untrained backbone) is the floor a pretraining has to clear.
"""
import argparse
import json
import os.path as osp
import sys

import cv2
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

MEAN, STD = (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)


def load_split(root, split, size):
    """(N, 3, size, size) normalised RGB images and their (N, C) multi-hot labels."""
    with open(osp.join(root, 'annotations', f'instances_{split}2017.json')) as f:
        coco = json.load(f)
    cat_ids = sorted(c['id'] for c in coco['categories'])
    labels = {im['id']: np.zeros(len(cat_ids), np.float32) for im in coco['images']}
    for ann in coco['annotations']:
        labels[ann['image_id']][cat_ids.index(ann['category_id'])] = 1
    images = []
    for im in coco['images']:
        path = osp.join(root, f'{split}2017', im['file_name'])
        img = cv2.imread(path)
        if img is None:
            raise FileNotFoundError(f'cannot read {path}')
        images.append(cv2.resize(img[..., ::-1], (size, size), interpolation=cv2.INTER_AREA))
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()
    x = (x - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None]
    return x, np.stack([labels[im['id']] for im in coco['images']])


def build_backbone(checkpoint):
    from mmengine.config import Config
    from mmpretrain.models import ResNet
    cfg = Config.fromfile(osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
        __file__)))), 'configs/_base_/scenes_backbone.py'))
    model = ResNet(**cfg.scenes_resnet)
    if checkpoint != 'random':
        from mls_mm.transfer.backbone_weights import read_state_dict
        state, _ = read_state_dict(checkpoint)
        state = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
        if not state:
            raise ValueError(f'{checkpoint}: no backbone.* keys (expected a scenes pretraining '
                             'or classification checkpoint of mls_mm)')
        model.load_state_dict(state)  # strict: every backbone key, nothing else
    model.eval()  # mmpretrain ResNet.train() returns None, so not `return model.eval()`
    return model


def average_precision(y, score):
    order = np.argsort(-score, kind='stable')
    y = y[order]
    precision = np.cumsum(y) / np.arange(1, len(y) + 1)
    return float((precision * y).sum() / max(y.sum(), 1))


def separability(checkpoint, root, size, weight_decay):
    torch.manual_seed(0)
    model = build_backbone(checkpoint)
    feats = {}
    with torch.no_grad():
        for split in ('train', 'val'):
            x, y = load_split(root, split, size)
            fmap = torch.cat([model(chunk)[-1] for chunk in x.split(256)])
            feats[split] = ((fmap.mean((2, 3)) + fmap.amax((2, 3))) / 2, y)
    (f_train, y_train), (f_val, y_val) = feats['train'], feats['val']
    mean, std = f_train.mean(0), f_train.std(0) + 1e-6
    f_train, f_val = (f_train - mean) / std, (f_val - mean) / std
    linear = torch.nn.Linear(f_train.shape[1], y_train.shape[1])
    optimizer = torch.optim.LBFGS(linear.parameters(), max_iter=300)
    target = torch.from_numpy(y_train)

    def closure():
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(linear(f_train), target) + \
            weight_decay * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        scores = linear(f_val).numpy()
    present = [c for c in range(y_val.shape[1]) if y_val[:, c].sum() > 0]
    ap = np.mean([average_precision(y_val[:, c], scores[:, c]) for c in present])
    return dict(mAP=100 * ap, chance=100 * float(y_val[:, present].mean()),
                feature_norm=float(feats['train'][0].norm(dim=1).mean()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help="a scenes pretraining checkpoint, or 'random'")
    parser.add_argument('--data', default='data/scenes')
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--weight-decay', type=float, default=0.01)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out = separability(args.checkpoint, args.data, args.size, args.weight_decay)
    print(f"{args.checkpoint}: val mAP {out['mAP']:.1f} (chance {out['chance']:.1f}; mean "
          f"feature norm {out['feature_norm']:.2f})")
    return out


if __name__ == '__main__':
    main()
