import math

import pytest
import torch
import torch.nn.functional as F

from mls_mm.models import MultiPositiveContrastiveLoss, multi_positive_contrastive_loss


def _reference(features, labels, tau, tau_b, form, num_anchors=None):
    """The formula of BAM.md (or SupCon L_out), anchor by anchor, in float64 Python."""
    f = features.double().tolist()
    y = labels.tolist()
    n = len(f)
    num_anchors = n if num_anchors is None else num_anchors
    dot = lambda a, b: sum(x * z for x, z in zip(a, b))  # noqa: E731
    losses, num_pos = [], []
    for i in range(num_anchors):
        others = [a for a in range(n) if a != i]
        pos = [p for p in others if y[p] == y[i]]
        denom = sum(math.exp(dot(f[i], f[a]) / tau) for a in others)
        if form == 'ia':
            num = sum(math.exp(dot(f[i], f[p]) / tau) for p in pos)
            l_i = -(tau / tau_b) / len(pos) * math.log(num / denom)
        else:
            l_i = -(tau / tau_b) / len(pos) * sum(
                math.log(math.exp(dot(f[i], f[p]) / tau) / denom) for p in pos)
        losses.append(l_i)
        num_pos.append(len(pos))
    return sum(losses) / len(losses), num_pos


@pytest.mark.parametrize('form', ['ia', 'out'])
@pytest.mark.parametrize('tau,tau_b', [(0.3, 0.07), (0.5, 0.5)])
def test_matches_the_formula(form, tau, tau_b):
    torch.manual_seed(0)
    labels = torch.tensor([0, 0, 1, 1, 1, 2, 2, 2, 2, 0])  # |P(i)| = 2, 2, 3 or 3
    feats = F.normalize(torch.randn(10, 6, dtype=torch.float64), dim=1)
    ref, num_pos = _reference(feats, labels, tau, tau_b, form)
    assert sorted(set(num_pos)) == [2, 3]
    got = multi_positive_contrastive_loss(feats, labels, tau, tau_b, form)
    assert got.item() == pytest.approx(ref, rel=1e-10)


def test_bam_layout_has_seven_positives_per_anchor():
    torch.manual_seed(1)
    # F1 = [p1; z2] for 3 images x 4 blocks: ids [y; y], y = image id of each block row
    y = torch.tensor([5, 9, 2]).repeat(4)
    ids = torch.cat([y, y])
    feats = F.normalize(torch.randn(24, 8, dtype=torch.float64), dim=1)
    ref, num_pos = _reference(feats, ids, 0.3, 0.07, 'ia')
    assert set(num_pos) == {7}
    assert multi_positive_contrastive_loss(feats, ids).item() == pytest.approx(ref, rel=1e-10)


def test_num_anchors_uses_all_rows_as_contrast():
    torch.manual_seed(2)
    labels = torch.tensor([0, 1, 0, 1, 2, 2])
    feats = F.normalize(torch.randn(6, 4, dtype=torch.float64), dim=1)
    ref, _ = _reference(feats, labels, 0.3, 0.07, 'ia', num_anchors=3)
    got = multi_positive_contrastive_loss(feats, labels, num_anchors=3)
    assert got.item() == pytest.approx(ref, rel=1e-10)


def test_module_weight_and_errors():
    feats = F.normalize(torch.randn(4, 3, dtype=torch.float64), dim=1)
    labels = torch.tensor([0, 0, 1, 1])
    module = MultiPositiveContrastiveLoss(loss_weight=4.0)
    assert module(feats, labels).item() == pytest.approx(
        4 * multi_positive_contrastive_loss(feats, labels).item(), rel=1e-12)
    with pytest.raises(ValueError, match='no positive'):
        multi_positive_contrastive_loss(feats, torch.tensor([0, 0, 1, 2]))
    with pytest.raises(ValueError, match='tau'):
        MultiPositiveContrastiveLoss(temperature=0)
    with pytest.raises(ValueError, match='tau_b'):
        MultiPositiveContrastiveLoss(base_temperature=-1)
    with pytest.raises(ValueError, match='form'):
        MultiPositiveContrastiveLoss(form='in')


def test_no_overflow_at_small_temperature():
    feats = F.normalize(torch.randn(8, 4), dim=1)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    assert torch.isfinite(multi_positive_contrastive_loss(feats, labels, temperature=0.001))
