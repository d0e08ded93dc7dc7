"""AutocastOptimWrapper: the backbones (a momentum copy included) in bfloat16 on the model's
device (the CPU included) inside the optim context only, necks, heads, losses, parameters,
gradients and buffers in float32, channels-last weights moved once with their values kept; and
``tools/train.py --bf16`` trains the MLS scenes twin with it."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmpretrain.models.backbones.base_backbone import BaseBackbone

import mls_mm  # noqa: F401
from mls_mm.engine import AutocastOptimWrapper
from mls_mm.engine.optim_wrappers.autocast_optim_wrapper import _to_float32
from mls_mm.utils import load_config
from helpers.checkpoints import load_own_checkpoint

DEVICES = ['cpu', pytest.param('cuda', marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason='no CUDA device'))]
MLS = 'configs/mls/mls_resnet18_1xb32-coslr-10e_scenes.py'


class TinyBackbone(BaseBackbone):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 6)

    def forward(self, x):
        return (self.fc(self.conv(x).mean((2, 3))), )


class Model(nn.Module):
    """A backbone (mmpretrain ``BaseBackbone``), a momentum-style copy of it and a head."""

    def __init__(self):
        super().__init__()
        self.backbone = TinyBackbone()
        self.target = nn.Sequential(TinyBackbone())
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        return self.head(self.backbone(x)[0]), self.target[0](x)[0]


def wrapper(model, **kwargs):
    return AutocastOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.5), **kwargs)


def bf16(t):
    """``t`` rounded to bfloat16 and back to float64."""
    return t.to(torch.bfloat16).double()


def autocast_on():
    check = getattr(torch, 'is_autocast_cpu_enabled', None)  # torch < 2.4
    return check() if check is not None else torch.is_autocast_enabled('cpu')


@pytest.mark.parametrize('device', DEVICES)
def test_backbones_run_in_bfloat16_and_the_rest_in_float32(device):
    torch.manual_seed(0)
    model = Model().to(device)
    optim = wrapper(model)
    x = torch.randn(8, 3, 6, 6, device=device)
    with optim.optim_context(model):
        logits, target = model(x)
        features = model.backbone(x)[0]
        loss = F.cross_entropy(logits, torch.arange(8, device=device) % 3)
    assert features.dtype == target.dtype == logits.dtype == loss.dtype == torch.float32
    # the backbone's last product: its bfloat16-rounded operands, summed in float32 or wider,
    # rounded to bfloat16, handed on as float32
    fc = model.backbone.fc
    with torch.no_grad():
        pooled = model.backbone.conv(x).mean((2, 3))
        with torch.autocast(device, dtype=torch.bfloat16):
            pooled_bf16 = model.backbone.conv(x).mean((2, 3))
    expected = bf16(bf16(pooled_bf16) @ bf16(fc.weight).T + bf16(fc.bias))
    assert torch.allclose(features.double(), expected, rtol=2 ** -7, atol=1e-6)
    assert not torch.allclose(features, fc(pooled), rtol=1e-5, atol=0)  # not float32's
    # the momentum-style copy, too: its bfloat16 result, not its float32 one
    copy = model.target[0]
    with torch.no_grad():
        target_fp32 = copy(x)[0]
        with torch.autocast(device, dtype=torch.bfloat16):
            target_bf16 = copy(x)[0].float()
    assert torch.equal(target, target_bf16)
    assert not torch.allclose(target, target_fp32, rtol=1e-5, atol=0)
    # the head: a float32 product of the handed-on features, to float32's precision
    head = model.head
    torch.testing.assert_close(logits.double(), features.double() @ head.weight.double().T +
                               head.bias.double(), rtol=1e-6, atol=1e-6)
    before = head.weight.detach().clone()
    optim.update_params(loss)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert not torch.equal(model.head.weight, before)
    # outside the optim context (validation, the kNN monitor) everything is float32
    assert torch.equal(model.backbone(x)[0], fc(model.backbone.conv(x).mean((2, 3))))


def test_the_hooks_and_channels_last_weights_survive_a_device_move():
    """``Module._apply`` (what ``.cuda()`` and ``.to(device)`` do) after the hooks are attached:
    simulated on the CPU by ``_apply(clone)``, which gives every parameter new storage. The
    backbones still run in bfloat16, the weights keep channels-last, and the optimiser still
    updates the moved model's parameters."""
    torch.manual_seed(0)
    model = Model()
    optim = wrapper(model, channels_last=True)
    x = torch.randn(4, 3, 6, 6)
    with optim.optim_context(model):
        model(x)  # attaches the hooks, moves the weights to channels-last
    storage = model.backbone.conv.weight.data_ptr()
    model._apply(lambda t: t.clone())
    assert model.backbone.conv.weight.data_ptr() != storage  # really new storage
    assert model.backbone.conv.weight.is_contiguous(memory_format=torch.channels_last)
    with optim.optim_context(model):
        logits, target = model(x)
        features = model.backbone(x)[0]
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        assert torch.equal(features, model.backbone(x)[0].float())
        assert torch.equal(target, model.target[0](x)[0].float())
    before = model.head.weight.detach().clone()
    conv = model.backbone.conv.weight.detach().clone()
    optim.update_params(logits.sum() + target.sum())
    assert not torch.equal(model.head.weight, before)
    assert not torch.equal(model.backbone.conv.weight, conv)


def test_a_forward_that_raises_leaves_no_autocast_behind():
    model = Model()
    optim = wrapper(model)
    with pytest.raises(RuntimeError):
        with optim.optim_context(model):
            model(torch.randn(2, 5, 6, 6))  # 5 channels for a 3-channel conv
    assert not autocast_on()
    x = torch.randn(2, 3, 6, 6)
    conv = model.backbone.conv
    expected = model.backbone.fc(conv(x).mean((2, 3)))
    assert torch.equal(model.backbone(x)[0], expected)  # outside: float32 again
    with optim.optim_context(model):
        logits, _ = model(x)
    assert logits.dtype == torch.float32 and not autocast_on()


def test_channels_last_moves_the_weights_once_and_keeps_their_values():
    torch.manual_seed(0)
    model = Model()
    conv = model.backbone.conv.weight.detach().clone()
    optim = wrapper(model, channels_last=True)
    assert model.backbone.conv.weight.is_contiguous()  # nothing moves before the first step
    x = torch.randn(2, 3, 8, 8)
    parameters = list(model.parameters())
    for _ in range(2):
        with optim.optim_context(model):
            weight = model.backbone.conv.weight
            assert weight.is_contiguous(memory_format=torch.channels_last)
            assert not weight.is_contiguous()
            torch.testing.assert_close(weight.detach(), conv, rtol=0, atol=0)
            loss = sum(o.sum() for o in model(x))
        optim.update_params(loss)
        # the optimiser still updates the model's own parameters (the same objects)
        assert all(a is b for a, b in zip(parameters, model.parameters()))
        assert not torch.equal(model.backbone.conv.weight, conv)
        conv = model.backbone.conv.weight.detach().clone()


class NestedBackbone(TinyBackbone):
    """Returns ``[(features, features), [features], indices]``, as a ViT's nested outputs."""

    def forward(self, x):
        features = super().forward(x)[0]
        return [(features, features), [features], torch.arange(2)]


def test_nested_backbone_outputs_are_handed_on_in_float32():
    model = Model()
    model.backbone = NestedBackbone()
    optim = wrapper(model)
    with optim.optim_context(model):
        out = model.backbone(torch.randn(2, 3, 6, 6))
    assert type(out) is list and type(out[0]) is tuple and type(out[1]) is list
    assert [t.dtype for t in (*out[0], *out[1])] == [torch.float32] * 3
    assert out[2].dtype == torch.long  # not a float: left as it is
    assert _to_float32(None) is None


def test_bad_settings_are_refused():
    for dtype in ('float16', 'bf16'):
        with pytest.raises(ValueError, match=r"optim_wrapper.dtype must be 'bfloat16', got "
                                             f"'{dtype}'.*AmpOptimWrapper"):
            wrapper(nn.Linear(2, 2), dtype=dtype)
    plain = nn.Linear(2, 2)
    optim = wrapper(plain)
    with pytest.raises(TypeError, match='found no backbone .*BaseBackbone.* in Linear'):
        with optim.optim_context(plain):
            pass


def _mls_cfg(repo_root, scenes_root, work_dir, max_epochs):
    cfg = load_config(osp.join(repo_root, MLS), work_dir=str(work_dir), cfg_options={
        'train_dataloader.batch_size': 8, 'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.data_root': scenes_root,
        'model.dict_size': 32, 'train_cfg.max_epochs': max_epochs, 'custom_hooks': [],
        'default_hooks.checkpoint.interval': 1, 'default_hooks.logger.interval': 1})
    cfg.optim_wrapper.update(type='AutocastOptimWrapper', dtype='bfloat16', channels_last=True)
    return cfg


class RecordResume(Hook):
    """The model's state when training (re)starts, and the dtype of the backbone's first
    convolution's output in the training steps after it."""

    def before_train(self, runner):
        self.state = {k: v.clone() for k, v in runner.model.state_dict().items()}
        self.dtypes = set()
        runner.model.backbone.conv1.register_forward_hook(
            lambda module, args, out: self.dtypes.add(out.dtype) if module.training else None)


def test_a_resumed_bfloat16_run_starts_from_its_checkpoint_in_bfloat16(repo_root, scenes_root,
                                                                        tmp_path):
    """``--resume`` of a ``--bf16`` run (what the job does after an interruption): the
    checkpoint's channels-last weights and float32 dictionaries load exactly, and the
    resumed steps run the backbone in bfloat16 again."""
    Runner.from_cfg(_mls_cfg(repo_root, scenes_root, tmp_path, 1)).train()
    saved = load_own_checkpoint(str(tmp_path / 'epoch_1.pth'))['state_dict']
    cfg = _mls_cfg(repo_root, scenes_root, tmp_path, 2)
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    record = RecordResume()
    runner.register_hook(record, priority='LOWEST')
    runner.train()
    assert record.state.keys() == saved.keys()
    for key, value in saved.items():
        assert torch.equal(record.state[key], value), key
    assert record.dtypes == {torch.bfloat16}
    assert osp.isfile(str(tmp_path / 'epoch_2.pth'))


def test_the_mls_twin_trains_with_it_and_its_dictionaries_stay_float32(repo_root, scenes_root,
                                                                        tmp_path):
    """A Runner epoch of the MLS twin under ``type='AutocastOptimWrapper'`` (what
    ``tools/train.py --bf16`` sets): the keys, computed in bfloat16, land in the float32
    dictionaries of the model's one ``FeatureQueue``, the checkpoint holds float32 weights in
    channels-last memory, and the training loss is finite."""
    runner = Runner.from_cfg(_mls_cfg(repo_root, scenes_root, tmp_path, 1))
    runner.train()
    model = runner.model
    assert isinstance(runner.optim_wrapper, AutocastOptimWrapper)
    assert model.queue.g.dtype == model.queue.z.dtype == torch.float32
    assert int(model.queue.ptr) == (64 // 8 * 8) % 32 and model.queue.g.abs().sum() > 0
    # every row written holds a unit key (the neck's output, normalised), up to bfloat16
    norms = model.queue.g.norm(dim=1)
    assert torch.allclose(norms, torch.ones_like(norms), atol=1e-2)
    state = load_own_checkpoint(osp.join(str(tmp_path), 'epoch_1.pth'))['state_dict']
    conv = state['backbone.conv1.weight']
    assert conv.dtype == torch.float32 and conv.is_contiguous(memory_format=torch.channels_last)
    assert all(v.dtype != torch.bfloat16 for v in state.values())
    assert torch.isfinite(torch.tensor(runner.message_hub.get_scalar('train/loss').current()))


def test_train_py_bf16_sets_the_wrapper_and_refuses_amp_with_it(repo_root, scenes_root,
                                                                   tmp_path):
    base = [sys.executable, 'tools/train.py', MLS, '--work-dir', str(tmp_path)]
    both = subprocess.run(base + ['--amp', '--bf16'], cwd=repo_root, capture_output=True,
                          text=True)
    assert both.returncode == 2 and 'not allowed with argument' in both.stderr
    options = ['--cfg-options', f'train_dataloader.dataset.data_root={scenes_root}',
               'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
               'train_dataloader.persistent_workers=False', 'model.dict_size=32',
               'train_cfg.max_epochs=1', 'custom_hooks=[]']
    run = subprocess.run(base + ['--bf16'] + options, cwd=repo_root, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    saved = Config.fromfile(osp.join(str(tmp_path), osp.basename(MLS)))
    assert saved.optim_wrapper.type == 'AutocastOptimWrapper'
    assert (saved.optim_wrapper.dtype, saved.optim_wrapper.channels_last) == ('bfloat16', True)
    assert saved.optim_wrapper.optimizer.type == 'SGD'  # the config's optimiser kept
