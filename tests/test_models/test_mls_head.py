import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mls_mm.models import MLSHead


def _reference_losses(z1, z2, queue_z, targets, tau, lam):
    """InfoNCE and Eq. 9 written out in float64 numpy, one query at a time."""
    z1, z2, queue_z, targets = (t.double().numpy() for t in (z1, z2, queue_z, targets))
    nce, ml = [], []
    for i in range(z1.shape[0]):
        pos = np.exp(z1[i] @ z2[i] / tau)
        neg = np.exp(queue_z @ z1[i] / tau).sum()
        nce.append(-np.log(pos / (pos + neg)))
        p = queue_z @ z1[i] / tau
        sig = 1.0 / (1.0 + np.exp(-p))
        y = targets[i]
        ml.append(-np.mean(y * np.log(sig) + (1 - y) * np.log(1 - sig)))
    return np.mean(nce), lam * np.mean(ml)


@pytest.mark.parametrize('tau,lam', [(0.2, 0.5), (0.5, 1.3)])
def test_losses_match_float64_reference(tau, lam):
    torch.manual_seed(0)
    B, D, C = 5, 64, 16
    z1 = F.normalize(torch.randn(B, C, dtype=torch.float64), dim=1)
    z2 = F.normalize(torch.randn(B, C, dtype=torch.float64), dim=1)
    queue_z = F.normalize(torch.randn(D, C, dtype=torch.float64), dim=1)
    targets = (torch.rand(B, D) < 0.1).double()
    head = MLSHead(temperature=tau, topk=3,
                   loss_ml=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=lam))
    out = head.loss(z1, z2, queue_z, targets)
    ref_nce, ref_ml = _reference_losses(z1, z2, queue_z, targets, tau, lam)
    assert out['loss_nce'].item() == pytest.approx(ref_nce, rel=1e-10)
    # mmpretrain's BCE casts the targets with .float(), so it is float32-exact only
    assert out['loss_ml'].item() == pytest.approx(ref_ml, rel=1e-6)
    assert out['ml_bce'].item() == pytest.approx(ref_ml / lam, rel=1e-6)
    assert not out['ml_bce'].requires_grad


def test_gradient_reaches_z1_only():
    z1 = F.normalize(torch.randn(4, 8), dim=1).requires_grad_()
    queue = F.normalize(torch.randn(16, 8), dim=1).requires_grad_()
    head = MLSHead(topk=2)
    targets, _ = head.pseudo_labels(torch.randn(4, 8), queue)
    out = head.loss(z1, F.normalize(torch.randn(4, 8), dim=1), queue, targets)
    (out['loss_nce'] + out['loss_ml']).backward()
    assert z1.grad is not None and z1.grad.abs().sum() > 0
    assert queue.grad is None


def test_pseudo_labels_on_a_hand_built_dictionary():
    # rows at angles 0, 10, ..., 70 degrees from the x axis, in shuffled order
    angles = torch.tensor([50., 0., 30., 70., 10., 60., 20., 40.])
    rad = torch.deg2rad(angles)
    queue_g = torch.stack([rad.cos(), rad.sin(), torch.zeros(8)], dim=1)
    # query 0 points at 0 deg (scaled: the ranking must not care), query 1 at 66 deg
    q1 = torch.tensor([np.cos(np.deg2rad(66)), np.sin(np.deg2rad(66)), 0.0]).float()
    g1 = torch.stack([torch.tensor([7., 0., 0.]), q1])
    head = MLSHead(topk=3)
    targets, indices = head.pseudo_labels(g1, queue_g)
    assert indices.tolist() == [[1, 4, 6], [3, 5, 0]]  # 0,10,20 deg ; 70,60,50 deg
    expected = torch.zeros(2, 8)
    expected[0, [1, 4, 6]] = 1
    expected[1, [3, 5, 0]] = 1
    assert torch.equal(targets, expected)
    with pytest.raises(ValueError, match='head.topk=9 exceeds the dictionary size 8'):
        MLSHead(topk=9).pseudo_labels(g1, queue_g)


@pytest.mark.parametrize('kwargs,key', [
    (dict(temperature=0.0), 'head.temperature'),
    (dict(topk=0), 'head.topk'),
    (dict(loss_ml=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=-0.1)),
     'head.loss_ml.loss_weight'),
    (dict(loss_ml=dict(type='CrossEntropyLoss', loss_weight=0.5)), 'use_sigmoid'),
])
def test_bad_hyper_parameters_are_named(kwargs, key):
    with pytest.raises(ValueError, match=key):
        MLSHead(**kwargs)
