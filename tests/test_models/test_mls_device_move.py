"""MLS's dictionaries survive device moves: ``Module._apply`` replaces each module's buffers,
which is what ``.cuda()``, ``.to(device)`` and mmengine's ``wrap_model`` do. On the CPU the move
is simulated by ``_apply(clone)`` (``.to('cpu')`` would return the very same tensors); on CUDA,
when a GPU is present, the model really moves."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mls_mm  # noqa: F401
from mls_mm.models.utils import convert_legacy_queue_state
from mls_mm.utils import load_config

CONFIG = 'configs/mls/mls_resnet18_1xb32-coslr-10e_scenes.py'
D, B, C = 256, 32, 12  # the scenes twin's dict_size, batch and classes

MOVES = ['cpu-clone', pytest.param('cuda', marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason='no CUDA device'))]


def build(repo_root):
    torch.manual_seed(0)
    cfg = load_config(osp.join(repo_root, CONFIG))
    model = MODELS.build(cfg.model)
    assert (model.queue.length, model.num_classes) == (D, C)
    assert model.queue.fields == dict(g=256, z=256, labels=C)  # d_g of the half-width R18
    return model


def move(model, how):
    return model._apply(lambda t: t.clone()) if how == 'cpu-clone' else model.cuda()


def id_keys(step, device, dims=(256, 256)):
    """Batch ``step`` of keys whose every field encodes its key id ``step * B + j``."""
    ids = torch.arange(step * B, (step + 1) * B, dtype=torch.float, device=device)
    g = torch.zeros(B, dims[0], device=device)
    g[:, 0] = ids
    z = torch.zeros(B, dims[1], device=device)
    z[:, 0] = ids
    labels = F.one_hot(ids.long() % C, C).float()
    return g, z, labels


def expected_ids(steps):
    """Row r holds the last of ``steps * B`` ids written ring-wise that is congruent to r
    (rows not reached yet are left out)."""
    return [float(max(i for i in range(steps * B) if i % D == r))
            for r in range(min(D, steps * B))]


def enqueue_and_check(model, steps):
    device = model.queue.g.device
    for step in range(steps):
        model._enqueue(*id_keys(step, device))
        assert int(model.queue.ptr) == (step + 1) * B % D
    want = expected_ids(steps)
    rows = len(want)
    assert model.queue.g[:rows, 0].tolist() == want
    assert model.queue.z[:rows, 0].tolist() == want
    assert model.queue.labels[:rows].argmax(1).tolist() == [int(i) % C for i in want]
    assert model.queue.filled_rows('labels').sum() == rows


def test_no_buffer_is_shared_between_modules(repo_root):
    model = build(repo_root)
    every = list(model.named_buffers(remove_duplicate=False))
    assert len(every) == len(dict(model.named_buffers()))
    assert [n for n, _ in every if n.endswith('ptr')] == ['queue.ptr']
    model.to('meta')
    assert {b.device.type for n, b in model.named_buffers() if n.startswith('queue.')} == {'meta'}
    assert sorted(n for n, _ in model.named_buffers() if n.startswith('queue.')) == [
        'queue.g', 'queue.labels', 'queue.ptr', 'queue.z']


@pytest.mark.parametrize('how', MOVES)
def test_enqueues_after_a_move_wrap_around_aligned(repo_root, how):
    model = move(build(repo_root), how)
    enqueue_and_check(model, steps=10)  # 320 keys into 256 rows: wraps at step 8


@pytest.mark.parametrize('how', MOVES)
def test_a_training_step_after_a_move_writes_its_keys_in_every_field(repo_root, how):
    model = move(build(repo_root), how)
    model.shuffle_bn = False
    device = model.queue.g.device
    views = [torch.randn(B, 3, 64, 64, device=device) for _ in range(2)]
    samples = [DataSample().set_gt_label([i % C, (i + 3) % C]) for i in range(B)]
    losses = model.loss(views, samples)
    assert torch.isfinite(losses['loss_nce']) and int(model.queue.ptr) == B
    with torch.no_grad():
        g2, z2 = model.momentum_encoder(views[1])
    assert torch.allclose(model.queue.g[:B], F.normalize(g2, dim=1), atol=1e-5)
    assert torch.allclose(model.queue.z[:B], F.normalize(z2, dim=1), atol=1e-5)
    assert model.queue.filled_rows('labels').sum() == B


@pytest.mark.parametrize('how', MOVES)
def test_checkpoint_after_a_move_loads_into_a_fresh_model(repo_root, tmp_path, how):
    model = move(build(repo_root), how)
    enqueue_and_check(model, steps=9)
    path = str(tmp_path / 'mls.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    fresh = build(repo_root)
    load_checkpoint(fresh, path, map_location='cpu', strict=True)
    fresh = move(fresh, how)
    for key in ('g', 'z', 'labels', 'ptr'):
        assert torch.equal(getattr(fresh.queue, key), getattr(model.queue, key)), key
    # both go on identically: the restored pointer is the one the fields follow
    model._enqueue(*id_keys(9, model.queue.g.device))
    fresh._enqueue(*id_keys(9, fresh.queue.g.device))
    assert int(fresh.queue.ptr) == 10 * B % D
    for key in ('g', 'z', 'labels'):
        assert torch.equal(getattr(fresh.queue, key), getattr(model.queue, key)), key


def legacy_state(model, ptrs):
    """The model's state dict in the mls_mm 0.1 layout. ``ptrs``: one int, the pointer of a
    CPU run (one tensor shared by the three queues, as 0.1 saved it), or three ints, the
    separate pointers of a run whose model was moved to a device."""
    state = {k: v for k, v in model.state_dict().items() if not k.startswith('queue.')}
    shared = torch.tensor([ptrs]) if isinstance(ptrs, int) else None
    for i, (old, field) in enumerate((('queue_g', 'g'), ('queue_z', 'z'),
                                      ('queue_labels', 'labels'))):
        state[f'{old}.feats'] = getattr(model.queue, field).clone()
        state[f'{old}.ptr'] = shared if shared is not None else torch.tensor([ptrs[i]])
    return state


def test_old_key_layout_fails_naming_the_keys(repo_root):
    model = build(repo_root)
    with pytest.raises(ValueError, match=r'queue_g\.feats.*queue_labels\.ptr.*convert_mls_queues'):
        model.load_state_dict(legacy_state(model, 32), strict=False)


def test_old_key_layout_converts_when_the_pointers_agree(repo_root):
    old = build(repo_root)
    enqueue_and_check(old, steps=3)
    state = convert_legacy_queue_state(legacy_state(old, 96))
    fresh = build(repo_root)
    fresh.load_state_dict(state, strict=True)
    assert int(fresh.queue.ptr) == 96
    assert torch.equal(fresh.queue.z, old.queue.z) and torch.equal(fresh.queue.g, old.queue.g)


@pytest.mark.parametrize('ptrs', [[0, 0, 0], [96, 96, 96]])
def test_separate_pointers_are_misaligned_whatever_their_values(repo_root, ptrs):
    """A 0.1 device run: only Q_g's pointer moved; each time it wraps, all three read 0."""
    with pytest.raises(ValueError, match='pointers saved as separate tensors'):
        convert_legacy_queue_state(legacy_state(build(repo_root), ptrs))


def test_conversion_tool_converts_a_cpu_checkpoint_through_torch_save(repo_root, tmp_path):
    """torch.save keeps the shared pointer shared, so the tool sees a CPU run's checkpoint as
    aligned and converts it; the result loads strictly and keeps the dictionaries."""
    old = build(repo_root)
    enqueue_and_check(old, steps=2)
    src, dst = str(tmp_path / 'old.pth'), str(tmp_path / 'new.pth')
    torch.save({'state_dict': legacy_state(old, 64), 'meta': {}}, src)
    tool = osp.join(repo_root, 'tools/model_converters/convert_mls_queues.py')
    out = subprocess.run([sys.executable, tool, src, dst], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    fresh = build(repo_root)
    load_checkpoint(fresh, dst, map_location='cpu', strict=True)
    assert int(fresh.queue.ptr) == 64 and torch.equal(fresh.queue.z, old.queue.z)


def test_conversion_tool_refuses_misaligned_dictionaries(repo_root, tmp_path):
    model = build(repo_root)
    src, dst = str(tmp_path / 'old.pth'), str(tmp_path / 'new.pth')
    torch.save({'state_dict': legacy_state(model, [32, 0, 0]), 'meta': {'iter': 1}}, src)
    tool = osp.join(repo_root, 'tools/model_converters/convert_mls_queues.py')
    out = subprocess.run([sys.executable, tool, src, dst], capture_output=True, text=True)
    assert out.returncode == 1 and 'different pointers' in out.stderr and not osp.exists(dst)
    out = subprocess.run([sys.executable, tool, src, dst, '--reset-misaligned'],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    converted = torch.load(dst, map_location='cpu', weights_only=True)
    assert converted['meta'] == {'iter': 1}
    assert not [k for k in converted['state_dict'] if k.startswith(('queue', 'queue_'))]
    fresh = build(repo_root)
    missing, _ = fresh.load_state_dict(converted['state_dict'], strict=False)
    assert sorted(missing) == ['queue.g', 'queue.labels', 'queue.ptr', 'queue.z']
