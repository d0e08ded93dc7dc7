"""MLSWarmupHook: lambda = 0 for the first epochs, the configured lambda afterwards."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

import mls_mm  # noqa: F401
from mls_mm.engine import MLSWarmupHook
from mls_mm.models import MLSHead


def _runner(head, epoch):
    return SimpleNamespace(model=SimpleNamespace(head=head), epoch=epoch)


def test_lambda_is_zero_during_warmup_then_restored():
    head = MLSHead(loss_ml=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.7))
    hook = MLSWarmupHook(warmup_epochs=2)
    hook.before_train(_runner(head, 0))
    weights = []
    for epoch in (0, 1, 2, 3):
        hook.before_train_iter(_runner(head, epoch), batch_idx=0)
        weights.append(head.ml_weight)
    assert weights == [0.0, 0.0, 0.7, 0.7]
    # a run resumed at epoch 1 starts in the warm-up, one resumed at epoch 2 after it
    resumed = MLSWarmupHook(warmup_epochs=2)
    head.ml_weight = 0.7
    resumed.before_train(_runner(head, 1))
    resumed.before_train_iter(_runner(head, 1), batch_idx=0)
    assert head.ml_weight == 0.0


def test_warmup_zeroes_loss_ml_but_logs_the_bce():
    torch.manual_seed(0)
    head = MLSHead(topk=2)
    hook = MLSWarmupHook(warmup_epochs=1)
    hook.before_train(_runner(head, 0))
    hook.before_train_iter(_runner(head, 0), batch_idx=0)
    z1 = F.normalize(torch.randn(3, 8), dim=1).requires_grad_()
    queue = F.normalize(torch.randn(16, 8), dim=1)
    targets, _ = head.pseudo_labels(torch.randn(3, 8), queue)
    out = head.loss(z1, F.normalize(torch.randn(3, 8), dim=1), queue, targets)
    assert out['loss_ml'].item() == 0.0 and out['ml_bce'].item() > 0.1
    hook.before_train_iter(_runner(head, 1), batch_idx=0)
    out = head.loss(z1, F.normalize(torch.randn(3, 8), dim=1), queue, targets)
    assert out['loss_ml'].item() == pytest.approx(0.5 * out['ml_bce'].item(), rel=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='warmup_epochs'):
        MLSWarmupHook(warmup_epochs=-1)
    with pytest.raises(TypeError, match='ml_weight'):
        MLSWarmupHook(1).before_train(_runner(torch.nn.Linear(1, 1), 0))
