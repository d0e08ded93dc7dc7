import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mls_mm  # noqa: F401
from mls_mm.utils import check_queue_config, load_config


def tiny_mls_cfg(dict_size=32, topk=4, num_classes=None, norm='BN', shuffle_bn=True,
                 own_key_positive=False):
    return dict(
        type='MLS', dict_size=dict_size, backbone_dim=64, feat_dim=16, momentum=0.005,
        own_key_positive=own_key_positive, shuffle_bn=shuffle_bn, num_classes=num_classes,
        backbone=dict(type='ResNet', depth=18, base_channels=8, num_stages=4,
                      norm_cfg=(dict(type='GN', num_groups=4) if norm == 'GN'
                                else dict(type='BN'))),
        neck=dict(type='MLSNeck', in_channels=64, hid_channels=32, out_channels=16),
        head=dict(type='MLSHead', temperature=0.2, topk=topk),
        data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[0., 0., 0.],
                               std=[1., 1., 1.], to_rgb=False))


def _batch(n, labels=None, seed=0):
    gen = torch.Generator().manual_seed(seed)
    views = [torch.randn(n, 3, 32, 32, generator=gen) for _ in range(2)]
    samples = [DataSample() for _ in range(n)]
    if labels is not None:
        for s, lab in zip(samples, labels):
            s.set_gt_label(lab)
    return views, samples


def test_one_step_enqueues_the_momentum_keys_row_aligned():
    torch.manual_seed(0)
    model = MODELS.build(tiny_mls_cfg(shuffle_bn=False))
    views, samples = _batch(8)
    losses = model.loss(views, samples)
    assert set(losses) == {'loss_nce', 'loss_ml', 'ml_bce'}
    assert int(model.queue.ptr) == 8
    # the keys are the momentum encoder's outputs for view 2, rows 0-7 of both queues
    with torch.no_grad():
        g2, z2 = model.momentum_encoder(views[1])
    assert torch.allclose(model.queue.g[:8], F.normalize(g2, dim=1), atol=1e-6)
    assert torch.allclose(model.queue.z[:8], F.normalize(z2, dim=1), atol=1e-6)


def _record_pseudo_labels(model):
    """Wrap the head's pseudo_labels to keep the dictionary it scored against and its picks."""
    calls = []
    original = model.head.pseudo_labels

    def recording(g1, queue_g):
        targets, indices = original(g1, queue_g)
        calls.append((queue_g.clone(), indices))
        return targets, indices

    model.head.pseudo_labels = recording
    return calls


def test_own_key_positive_switch():
    torch.manual_seed(0)
    off = MODELS.build(tiny_mls_cfg(shuffle_bn=False))
    on = MODELS.build(tiny_mls_cfg(shuffle_bn=False, own_key_positive=True))
    on.load_state_dict(off.state_dict())
    views, samples = _batch(8)
    views[1] = views[0].clone()  # key == query image: g2 equals g1 before any update
    calls_off, calls_on = _record_pseudo_labels(off), _record_pseudo_labels(on)
    off.loss(views, samples)
    on.loss(views, samples)
    # the same keys were enqueued either way
    assert torch.allclose(on.queue.g, off.queue.g, atol=1e-6)
    keys = off.queue.g[:8]
    scored_off, _ = calls_off[0]
    scored_on, idx_on = calls_on[0]
    assert not torch.allclose(scored_off[:8], keys), 'off: scored before the keys entered'
    assert torch.allclose(scored_on[:8], keys), 'on: scored after the keys entered'
    assert idx_on[:, 0].tolist() == list(range(8)), 'on: own key is each query\'s nearest'


def test_pseudo_label_precision_by_hand():
    torch.manual_seed(0)
    model = MODELS.build(tiny_mls_cfg(dict_size=8, topk=2, num_classes=3, shuffle_bn=False))
    model.queue.labels[:4] = torch.tensor([[1., 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    # rows 4-7 stay empty (never written)
    topk = torch.tensor([[0, 1], [3, 2], [2, 6]])
    query = torch.tensor([[1., 0, 0], [0, 1, 0], [0, 1, 1]])
    out = model._pseudo_label_precision(topk, query)
    # query 0: rows 0 (shares) and 1 (no); query 1: 3 (no), 2 (shares);
    # query 2: 2 (shares), 6 is empty and not counted -> 3 of 5 valid
    assert out['pl_precision'].item() == pytest.approx(3 / 5)
    assert 0 <= out['pl_chance'].item() <= 1


def test_precision_is_logged_with_labels_and_needs_them():
    torch.manual_seed(0)
    model = MODELS.build(tiny_mls_cfg(dict_size=16, topk=3, num_classes=5))
    views, samples = _batch(8, labels=[[0, 1], [2], [3, 4], [1]] * 2)
    model.loss(views, samples)
    out = model.loss(*_batch(8, labels=[[0], [1], [2], [3]] * 2, seed=1))
    assert 0 <= out['pl_precision'] <= 1 and 0 <= out['pl_chance'] <= 1
    with pytest.raises(ValueError, match='gt_label'):
        model.loss(*_batch(8))


@pytest.mark.parametrize('change,key', [
    (dict(head=dict(type='MLSHead', topk=33)), 'model.head.topk=33'),
    (dict(backbone_dim=128), 'model.backbone_dim=128'),
    (dict(feat_dim=32), 'model.feat_dim=32'),
    (dict(momentum=1.5), 'model.momentum'),
    (dict(momentum=1.0), 'model.momentum'),
    (dict(head=dict(type='MLSHead', temperature=-1.0)), 'head.temperature'),
])
def test_bad_config_fails_at_build_time(change, key):
    cfg = tiny_mls_cfg()
    cfg.update(change)
    with pytest.raises(ValueError, match=key):
        MODELS.build(cfg)


def test_checkpoint_with_other_dictionary_size_is_refused():
    small = MODELS.build(tiny_mls_cfg(dict_size=32))
    big = MODELS.build(tiny_mls_cfg(dict_size=64))
    with pytest.raises(ValueError, match=r'queue.g has shape \(64, 64\).*\(32, 64\)'):
        small.load_state_dict(big.state_dict(), strict=False)


def test_dict_size_must_hold_whole_global_batches(repo_root):
    cfg = load_config(osp.join(repo_root, 'configs/mls/mls_resnet18_1xb32-coslr-10e_scenes.py'))
    check_queue_config(cfg, world_size=2)
    with pytest.raises(ValueError, match='model.dict_size=256.*global batch size 96'):
        check_queue_config(cfg, world_size=3)
