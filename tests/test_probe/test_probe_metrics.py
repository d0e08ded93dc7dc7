"""The probe configs' metrics (mAP, CP / CR / CF1, OP / OR / OF1 at probability 0.5) against a
float64 computation from the definitions, VOC difficult labels ignored at test, and the whole
val set evaluated when it is split over processes.

AP as mmpretrain computes it (``_average_precision``): per class, the images are ranked by
score (``torch.argsort``, descending) and AP = (1 / #positives) * sum over the positives of the
precision at their rank. Tied scores are not pooled (scikit-learn pools them): the order of a
tie is argsort's, so the cases below have no ties. A class without positives has AP 0.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from helpers.dist_utils import run_in_processes

SCENES = ('configs/benchmarks/classification/scenes/'
          'resnet18_linear-probe-1xb64-coslr-5e_scenes-64px.py')
COCO = 'configs/benchmarks/classification/coco/resnet50_linear-probe-8xb8-coslr-100e_coco-448px.py'
VOC = ('configs/benchmarks/classification/voc07/'
       'resnet50_linear-probe-8xb8-coslr-100e_voc12trainval-voc07test-224px.py')

# 8 images x 4 classes, distinct scores in every column (no ties), probabilities
SCORES = np.array([
    [0.91, 0.12, 0.55, 0.05],
    [0.80, 0.61, 0.47, 0.33],
    [0.72, 0.58, 0.30, 0.92],
    [0.45, 0.97, 0.66, 0.21],
    [0.38, 0.07, 0.51, 0.64],
    [0.62, 0.44, 0.12, 0.49],
    [0.15, 0.83, 0.74, 0.58],
    [0.03, 0.29, 0.91, 0.70],
])
LABELS = np.array([
    [1, 0, 1, 0],
    [0, 1, 0, 0],
    [1, 0, 0, 1],
    [0, 1, 1, 0],
    [1, 0, 0, 0],
    [0, 0, 0, 1],
    [0, 1, 0, 0],
    [0, 0, 1, 1],
])


def _evaluator_cfg(repo_root, config):
    return Config.fromfile(osp.join(repo_root, config)).to_dict()['val_evaluator']


def _evaluator(repo_root, config):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return Evaluator(_evaluator_cfg(repo_root, config))


def _samples(scores, labels, difficult=None):
    samples = []
    for i, (s, y) in enumerate(zip(scores, labels)):
        sample = DataSample().set_pred_score(torch.tensor(s, dtype=torch.float32))
        sample.set_gt_label([int(c) for c in np.flatnonzero(y)])
        if difficult is not None:
            sample.set_metainfo(dict(gt_label_difficult=list(difficult[i])))
        samples.append(sample.to_dict())
    return samples


def _ap(scores, labels):
    """Per-class average precision, float64, from the definition (no ties)."""
    aps = []
    for s, y in zip(scores.T, labels.T):
        keep = y >= 0  # -1: ignored (VOC difficult)
        s, y = s[keep], y[keep]
        order = np.argsort(-s, kind='stable')
        hits = y[order] == 1
        precision_at_k = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        aps.append(precision_at_k[hits].sum() / max(hits.sum(), 1))
    return np.array(aps, dtype=np.float64)


def _prf(scores, labels, thr=0.5):
    """CP, CR, CF1 (mean of per-class F1, as mmpretrain) and OP, OR, OF1, float64, in %."""
    keep = labels >= 0
    pred = (scores >= thr) & keep
    gt = (labels == 1) & keep
    tp, npred, ngt = (pred & gt).sum(0), pred.sum(0), gt.sum(0)
    p_c = np.where(npred > 0, tp / np.maximum(npred, 1), 0.)
    r_c = np.where(ngt > 0, tp / np.maximum(ngt, 1), 0.)
    f1_c = np.where(p_c + r_c > 0, 2 * p_c * r_c / np.maximum(p_c + r_c, 1e-300), 0.)
    op, orec = tp.sum() / pred.sum(), tp.sum() / gt.sum()
    return dict(CP=100 * p_c.mean(), CR=100 * r_c.mean(), CF1=100 * f1_c.mean(),
                OP=100 * op, OR=100 * orec, OF1=100 * 2 * op * orec / (op + orec))


def _named(metrics):
    """The configured keys under the names of the papers' tables."""
    return {'mAP': metrics['multi-label/mAP'],
            'CP': metrics['multi-label/precision'],
            'CR': metrics['multi-label/recall'],
            'CF1': metrics['multi-label/f1-score'],
            'OP': metrics['multi-label/precision_micro'],
            'OR': metrics['multi-label/recall_micro'],
            'OF1': metrics['multi-label/f1-score_micro']}


def test_reference_ap_on_a_case_worked_by_hand():
    # ranked by score: pos, neg, pos -> precisions 1/1 and 2/3 at the positives
    ap = _ap(np.array([[0.9], [0.8], [0.7], [0.1]]), np.array([[1], [0], [1], [0]]))
    assert ap[0] == pytest.approx((1 + 2 / 3) / 2, abs=1e-15)
    prf = _prf(np.array([[0.9, 0.2], [0.6, 0.7], [0.4, 0.1]]), np.array([[1, 0], [0, 1], [1, 1]]))
    # class 0: TP 1, 2 predicted, 2 true; class 1: TP 1, 1 predicted, 2 true
    assert prf['CP'] == pytest.approx(100 * (1 / 2 + 1) / 2)
    assert prf['CR'] == pytest.approx(100 * (1 / 2 + 1 / 2) / 2)
    assert prf['CF1'] == pytest.approx(100 * (1 / 2 + 2 / 3) / 2)
    assert prf['OP'] == pytest.approx(100 * 2 / 3) and prf['OR'] == pytest.approx(100 * 2 / 4)


@pytest.mark.parametrize('config', [SCENES, COCO])
def test_configured_metrics_match_the_definitions(repo_root, config):
    evaluator = _evaluator(repo_root, config)
    evaluator.process(_samples(SCORES, LABELS))
    got = _named(evaluator.evaluate(len(SCORES)))
    want = dict(mAP=100 * _ap(SCORES, LABELS).mean(), **_prf(SCORES, LABELS, thr=0.5))
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-4), key
    # mmpretrain's CF1 is the mean of per-class F1s; ML-GCN's 2 CP CR / (CP + CR), reported
    # by some tables, is computed from the logged CP and CR: here they differ
    assert 2 * got['CP'] * got['CR'] / (got['CP'] + got['CR']) != pytest.approx(got['CF1'])


def test_threshold_is_on_probabilities(repo_root):
    # probability 0.55 is a predicted positive, 0.45 is not (the reference's 0.6 on raw
    # logits would be probability 0.646)
    evaluator = _evaluator(repo_root, SCENES)
    scores = np.array([[0.55, 0.45], [0.20, 0.30]])
    labels = np.array([[1, 1], [0, 0]])
    evaluator.process(_samples(scores, labels))
    got = _named(evaluator.evaluate(2))
    assert got['OP'] == pytest.approx(100.) and got['OR'] == pytest.approx(50.)


def test_voc_difficult_labels_are_ignored_at_test(repo_root):
    # image 2 has class 0 only as a difficult object and the highest class-0 score
    scores = np.array([[0.7, 0.1], [0.4, 0.8], [0.9, 0.3], [0.2, 0.6]])
    labels = np.array([[1, 0], [1, 1], [0, 0], [0, 1]])
    difficult = [[], [0], [0], []]  # image 1: class 0 also non-difficult -> stays a positive
    evaluator = _evaluator(repo_root, VOC)
    evaluator.process(_samples(scores, labels, difficult))
    got = _named(evaluator.evaluate(4))

    ignored = labels.copy()
    ignored[2, 0] = -1
    assert got['mAP'] == pytest.approx(100 * _ap(scores, ignored).mean(), abs=1e-4)
    assert got['mAP'] == pytest.approx(100.)  # the two class-0 positives rank first once ignored
    assert 100 * _ap(scores, labels).mean() < got['mAP'] - 5  # as a negative it would cost AP
    for key, value in _prf(scores, ignored).items():
        assert got[key] == pytest.approx(value, abs=1e-4), key
    # the same evaluator without difficult labels: the plain case
    plain = _evaluator(repo_root, VOC)
    plain.process(_samples(scores, labels, [[]] * 4))
    assert _named(plain.evaluate(4))['mAP'] == pytest.approx(100 * _ap(scores, labels).mean(),
                                                             abs=1e-4)


def _evaluate_share(rank, world, evaluator_cfg, result_file):
    # DefaultSampler(shuffle=False, round_up=True): rank r gets indices r, r + world, ...,
    # the list padded from its start to a multiple of world
    n = len(SCORES) - 1  # 7 images: one padded sample
    indices = list(range(n)) + list(range(-n % world))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        evaluator = Evaluator(evaluator_cfg)
    mine = indices[rank::world]
    evaluator.process(_samples(SCORES[mine], LABELS[mine]))
    metrics = evaluator.evaluate(n)
    if rank == 0:
        torch.save(metrics, result_file)


def test_every_process_share_is_evaluated(repo_root, tmp_path):
    result_file = str(tmp_path / 'metrics.pth')
    run_in_processes(_evaluate_share, 2, _evaluator_cfg(repo_root, SCENES), result_file)
    got = _named(torch.load(result_file))
    want = dict(mAP=100 * _ap(SCORES[:7], LABELS[:7]).mean(), **_prf(SCORES[:7], LABELS[:7]))
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-4), key
