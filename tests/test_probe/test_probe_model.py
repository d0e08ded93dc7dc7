"""The probe model of the configs: frozen backbone (weights and BN statistics unchanged by
training steps, no gradients), head initialised N(0, 0.01), BCE averaged over images x classes,
probabilities = sigmoid(logits), and weights only through CheckedPretrained."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.models.backbones import ResNet
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mls_mm  # noqa: F401
from mls_mm.transfer import KeyMismatchError

SCENES = ('configs/benchmarks/classification/scenes/'
          'resnet18_linear-probe-1xb64-coslr-5e_scenes-64px.py')


@pytest.fixture(scope='module')
def pretrain_ckpt(tmp_path_factory):
    """A pretraining-style checkpoint (``backbone.*`` keys and others) of the scenes'
    half-width ResNet-18: Kaiming
    convolutions, BN affine parameters and statistics that are neither 0 nor 1."""
    torch.manual_seed(0)
    backbone = ResNet(depth=18, stem_channels=32, base_channels=32, zero_init_residual=False)
    backbone.init_weights()
    with torch.no_grad():
        for key, t in backbone.state_dict().items():
            if key.endswith(('running_var', 'bn1.weight', 'bn2.weight', 'downsample.1.weight')):
                t.copy_(torch.rand_like(t) + 0.5)
            elif key.endswith(('running_mean', 'bias')):
                t.copy_(torch.randn_like(t) * 0.1)
            elif key.endswith('num_batches_tracked'):
                t.fill_(7)
    state = {f'backbone.{k}': v.clone() for k, v in backbone.state_dict().items()}
    state['neck.mlp.0.weight'] = torch.zeros(4, 512)  # another part: not loaded
    path = str(tmp_path_factory.mktemp('probe_ckpt') / 'epoch_10.pth')
    torch.save(dict(state_dict=state, meta=dict()), path)
    return path, state


def _cfg(repo_root):
    return Config.fromfile(osp.join(repo_root, SCENES))


def _build(model_cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


def _batch(n=4, size=32, num_classes=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (3, size, size), generator=g, dtype=torch.uint8)
              for _ in range(n)]
    samples = [DataSample().set_gt_label(
        torch.randperm(num_classes, generator=g)[:1 + i % 3].tolist()) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_backbone_unchanged_after_training_steps_while_head_learns(repo_root, pretrain_ckpt):
    path, state = pretrain_ckpt
    cfg = _cfg(repo_root)
    cfg.model.backbone.init_cfg.checkpoint = path
    model = _build(cfg.model)
    model.init_weights()
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    for key, value in before.items():  # loaded, BN statistics included
        torch.testing.assert_close(value, state[f'backbone.{key}'], rtol=0, atol=0, msg=key)
    head_before = model.head.fc.weight.detach().clone()

    with DefaultScope.overwrite_default_scope('mmpretrain'):
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()  # what the train loop does; frozen_stages + norm_eval keep BN in eval
    for step in range(3):
        model.train_step(_batch(seed=step), optim_wrapper)

    assert all(not p.requires_grad and p.grad is None for p in model.backbone.parameters())
    bns = [m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(not m.training for m in bns)  # BN in eval mode
    after = model.backbone.state_dict()
    assert list(after) == list(before)
    for key in before:  # weights, running_mean / running_var, num_batches_tracked
        torch.testing.assert_close(after[key], before[key], rtol=0, atol=0, msg=key)
    assert torch.isfinite(model.head.fc.weight).all()
    assert not torch.equal(model.head.fc.weight, head_before)


def test_head_starts_normal_0_001_with_zero_bias(repo_root):
    cfg = _cfg(repo_root)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = _build(cfg.model)
    model.init_weights()
    w = model.head.fc.weight.detach().double()
    assert w.shape == (12, 256)
    assert abs(w.mean().item()) < 5e-4 and w.std().item() == pytest.approx(0.01, rel=0.05)
    assert torch.count_nonzero(model.head.fc.bias) == 0


def test_loss_is_bce_with_logits_mean_and_scores_are_sigmoid(repo_root):
    cfg = _cfg(repo_root)
    cfg.model.backbone.init_cfg = None
    model = _build(cfg.model)
    torch.manual_seed(1)
    feats = (torch.randn(5, 256), )
    targets = (torch.rand(5, 12) < 0.3).long()
    samples = [DataSample().set_gt_score(t) for t in targets]
    logits = model.head(feats)
    loss = model.head.loss(feats, samples)['loss']
    # torch's BCEWithLogitsLoss() default: the mean over all 5 x 12 image-class pairs
    torch.testing.assert_close(loss, F.binary_cross_entropy_with_logits(logits, targets.float()))
    preds = model.head.predict(feats, [DataSample() for _ in range(5)])
    torch.testing.assert_close(torch.stack([p.pred_score for p in preds]), logits.sigmoid())


def test_checkpoint_with_a_missing_key_stops_the_probe(repo_root, pretrain_ckpt, tmp_path):
    path, state = pretrain_ckpt
    broken = dict(state)
    del broken['backbone.layer3.1.bn2.running_var']
    broken_path = str(tmp_path / 'broken.pth')
    torch.save(dict(state_dict=broken), broken_path)
    cfg = _cfg(repo_root)
    cfg.model.backbone.init_cfg.checkpoint = broken_path
    with pytest.raises(KeyMismatchError, match=r'layer3\.1\.bn2\.running_var'):
        _build(cfg.model).init_weights()


def test_probe_refuses_to_start_without_a_checkpoint(repo_root):
    cfg = _cfg(repo_root)
    assert cfg.model.backbone.init_cfg == dict(type='CheckedPretrained', checkpoint='',
                                               prefix='backbone.')
    with pytest.raises(ValueError, match='init_cfg.checkpoint'):
        _build(cfg.model).init_weights()
