"""Checkpoint reads of mls_mm pass weights_only=True where torch can (mls_mm/compat.py).

A payload checkpoint (its pickle runs code through ``__reduce__``) is refused by every loader
we use, also when ``torch.load`` defaults to ``weights_only=False`` as in torch 2.4 / 2.5;
a crafted ``HistoryBuffer`` state cannot replace the statistics table; real mmengine
checkpoints still load; and torch < 2.4 (simulated) imports the plugin and builds a model.
"""
import functools
import http.server
import io
import os.path as osp
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import checkpoint as mm_checkpoint
from mmengine.runner import load_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader, save_checkpoint

import mls_mm  # noqa: F401 - applies the compat fixes
from mls_mm import compat
from mls_mm.transfer import load_backbone, read_state_dict

needs_safe_globals = pytest.mark.skipif(
    not compat.SAFE_GLOBALS, reason=f'torch {torch.__version__} has no add_safe_globals (< 2.4): '
    'checkpoints load with weights_only=False there, by design (see mls_mm/compat.py)')


class _Payload:
    """Unpickles by calling ``exec``: writes ``marker`` when (and only when) code runs."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('code ran')", ))


def _payload_checkpoint(tmp_path):
    marker = tmp_path / 'code_ran'
    path = tmp_path / 'payload.pth'
    torch.save({'state_dict': {'backbone.w': torch.zeros(1)}, 'meta': _Payload(marker)}, path)
    return str(path), marker


@pytest.fixture(params=['torch default', 'default weights_only=False'])
def torch_load_default(request, monkeypatch):
    """The real torch.load, or one whose default is weights_only=False (torch 2.4 / 2.5)."""
    if request.param != 'torch default':
        real_load = torch.load

        def load_default_unsafe(*args, weights_only=False, **kwargs):
            return real_load(*args, weights_only=weights_only, **kwargs)

        monkeypatch.setattr(torch, 'load', load_default_unsafe)
    return request.param


@needs_safe_globals
def test_the_simulated_old_default_really_runs_payloads(tmp_path, torch_load_default):
    """Control: mmengine's own local loader under the flipped default runs the payload, so the
    refusals below come from our explicit weights_only=True."""
    path, marker = _payload_checkpoint(tmp_path)
    if torch_load_default == 'torch default':  # torch 2.14: weights_only=True by default
        with pytest.raises(pickle.UnpicklingError):
            mm_checkpoint.load_from_local(path, 'cpu')
        assert not marker.exists()
    else:
        mm_checkpoint.load_from_local(path, 'cpu')
        assert marker.read_text() == 'code ran'


@needs_safe_globals
@pytest.mark.parametrize('loader', ['CheckpointLoader', 'load_checkpoint', 'read_state_dict',
                                    'load_backbone'])
def test_payload_checkpoint_is_refused(tmp_path, torch_load_default, loader):
    path, marker = _payload_checkpoint(tmp_path)
    calls = {
        'CheckpointLoader': lambda: CheckpointLoader.load_checkpoint(path, map_location='cpu'),
        'load_checkpoint': lambda: load_checkpoint(torch.nn.Linear(1, 1), path, 'cpu'),
        'read_state_dict': lambda: read_state_dict(path),
        'load_backbone': lambda: load_backbone(path),
    }
    with pytest.raises(pickle.UnpicklingError, match='payload.pth: refused by torch.load'
                       r'\(weights_only=True\)[\s\S]*GLOBAL (builtins.)?exec[\s\S]*trust'):
        calls[loader]()
    assert not marker.exists()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_root(tmp_path, monkeypatch):
    """A local HTTP server on tmp_path/www; torch hub's download cache under tmp_path."""
    www = tmp_path / 'www'
    www.mkdir()
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    handler = functools.partial(_QuietHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield www, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


@needs_safe_globals
def test_url_checkpoints_load_weights_only(tmp_path, http_root, torch_load_default):
    www, url = http_root
    path, marker = _payload_checkpoint(tmp_path)
    (www / 'payload.pth').write_bytes(open(path, 'rb').read())
    torch.save({'state_dict': {'w': torch.arange(3.)}}, www / 'plain.pth')
    with pytest.raises(pickle.UnpicklingError, match=r'payload.pth: refused .*weights_only'):
        CheckpointLoader.load_checkpoint(f'{url}/payload.pth', map_location='cpu')
    assert not marker.exists()
    plain = CheckpointLoader.load_checkpoint(f'{url}/plain.pth', map_location='cpu')
    assert torch.equal(plain['state_dict']['w'], torch.tensor([0., 1., 2.]))


def _crafted_history_buffer(path, table):
    """Save a HistoryBuffer whose pickled state carries ``table`` as its statistics methods
    (both the key mmengine merges into the class table and an instance-level shadow)."""
    buffer = HistoryBuffer([1.0, 3.0], [1, 1])
    state = dict(buffer.__dict__, statistics_methods=table, _statistics_methods=table)
    original = HistoryBuffer.__getstate__
    HistoryBuffer.__getstate__ = lambda self: state
    try:
        torch.save({'message_hub': {'log_scalars': {'train/loss': buffer}}}, path)
    finally:
        HistoryBuffer.__getstate__ = original


@pytest.fixture
def statistics_table(monkeypatch):
    """HistoryBuffer's class-wide table (the defaults filled in), restored after the test."""
    HistoryBuffer()
    assert HistoryBuffer._statistics_methods['mean'] is HistoryBuffer.mean
    monkeypatch.setattr(HistoryBuffer, '_statistics_methods',
                        dict(HistoryBuffer._statistics_methods))
    return dict(HistoryBuffer._statistics_methods)


def test_crafted_statistics_table_is_dropped(tmp_path, statistics_table):
    path = str(tmp_path / 'crafted.pth')
    _crafted_history_buffer(path, {'mean': 'not a method', 'extra': 'x'})
    # whatever torch's default: our loader (weights_only=True where torch can), and an explicit
    # weights_only=False load (torch < 2.4, or a user's own torch.load)
    for loaded in (CheckpointLoader.load_checkpoint(path, map_location='cpu'),
                   torch.load(path, weights_only=False)):
        buffer = loaded['message_hub']['log_scalars']['train/loss']
        assert HistoryBuffer._statistics_methods == statistics_table
        assert '_statistics_methods' not in buffer.__dict__
        assert buffer.statistics('mean') == 2.0 and buffer.current() == 3.0


def test_crafted_statistics_table_would_replace_without_the_fix(tmp_path, statistics_table,
                                                                 monkeypatch):
    """Control: the crafted state reaches mmengine's own __setstate__, which merges it."""
    path = str(tmp_path / 'crafted.pth')
    _crafted_history_buffer(path, {'mean': 'not a method'})
    def mmengine_0_10_setstate(self, state):  # mmengine 0.10.7's HistoryBuffer.__setstate__
        statistics_methods = state.pop('statistics_methods', {})
        self._set_default_statistics()
        self._statistics_methods.update(statistics_methods)
        self.__dict__.update(state)

    monkeypatch.setattr(HistoryBuffer, '__setstate__', mmengine_0_10_setstate)
    torch.load(path, weights_only=compat.SAFE_GLOBALS)  # torch < 2.4 cannot read it otherwise
    assert HistoryBuffer._statistics_methods['mean'] == 'not a method'


@needs_safe_globals
def test_crafted_callable_table_is_refused(tmp_path, statistics_table):
    """A table of real methods pickles through builtins.getattr: never allow-listed."""
    path = str(tmp_path / 'getattr.pth')
    _crafted_history_buffer(path, {'mean': HistoryBuffer.max})
    with pytest.raises(pickle.UnpicklingError, match='getattr'):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert HistoryBuffer._statistics_methods == statistics_table


def test_mmengine_checkpoint_with_message_hub_loads(tmp_path):
    model = torch.nn.Linear(2, 1)
    hub = MessageHub.get_instance('test_stack_checkpoint_written')
    for loss in (0.5, 1.5):
        hub.update_scalar('train/loss', loss)
    hub.update_info('iter', 7)
    path = str(tmp_path / 'epoch_1.pth')
    save_checkpoint({'state_dict': model.state_dict(), 'message_hub': hub.state_dict(),
                     'meta': {'epoch': 1, 'iter': 7}}, path)
    checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert isinstance(checkpoint['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    restored = MessageHub.get_instance('test_stack_checkpoint_read')
    restored.load_state_dict(checkpoint['message_hub'])
    loss = restored.get_scalar('train/loss')
    assert loss.mean() == 1.0 and loss.current() == 1.5 and loss.statistics('max') == 1.5
    assert restored.get_info('iter') == 7
    assert torch.equal(checkpoint['state_dict']['weight'], model.weight)


@needs_safe_globals
@pytest.mark.parametrize('spelling', ['numpy.core.multiarray', 'numpy._core.multiarray'])
def test_numpy_1_and_2_pickle_paths_load(spelling):
    """numpy 1 pickles arrays and scalars as numpy.core.multiarray.*, numpy 2.1+ as
    numpy._core.multiarray.*; a checkpoint from either loads with weights_only=True."""
    buf = io.BytesIO()
    torch.save({'array': np.arange(3.), 'scalar': np.float64(1.5)}, buf,
               _use_new_zipfile_serialization=False)  # GLOBAL opcodes as plain text lines
    data = buf.getvalue()
    assert data.count(b'cnumpy.core.multiarray\n') == 2   # _reconstruct and scalar
    data = data.replace(b'cnumpy.core.multiarray\n', f'c{spelling}\n'.encode())
    loaded = torch.load(io.BytesIO(data), weights_only=True)
    assert loaded['array'].tolist() == [0., 1., 2.] and loaded['scalar'] == 1.5


def test_numpy_2_module_is_imported_by_its_own_name(monkeypatch):
    """Under numpy 2 the allow-list reads numpy._core, never numpy.core (deprecated there)."""
    requested = []
    real_import = compat.importlib.import_module
    monkeypatch.setattr(compat.importlib, 'import_module',
                        lambda name: requested.append(name) or real_import(name))
    monkeypatch.setattr(compat.np, '__version__', '2.1.0')
    compat.mmengine_checkpoint_globals()
    assert requested == ['numpy._core.multiarray']
    monkeypatch.setattr(compat.np, '__version__', '1.26.4')
    requested.clear()
    compat.mmengine_checkpoint_globals()
    assert requested == ['numpy.core.multiarray']


OLD_TORCH = r'''
import sys
import torch
import torch.serialization as serialization
# torch 2.14's own modules call add_safe_globals when imported (torch 2.0-2.3's do not): import
# them first, so that only mls_mm and the OpenMMLab packages run without it
import importlib
for module in ('torch._dynamo', 'torch.nested', 'torch.distributed.tensor',
               'torch.distributed.device_mesh', 'torch.distributed._serialization'):
    try:
        importlib.import_module(module)
    except ImportError:  # not in every torch version
        pass
for name in ('add_safe_globals', 'safe_globals', 'get_safe_globals', 'clear_safe_globals'):
    if hasattr(serialization, name):  # torch < 2.4 has none of these
        delattr(serialization, name)
import mls_mm
from mls_mm import compat
from mmengine.config import Config
from mmengine.runner.checkpoint import CheckpointLoader
from mmpretrain.registry import MODELS
assert not compat.SAFE_GLOBALS and not compat.SAFE_GLOBAL_ALIASES
cfg = Config.fromfile('configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py')
model = MODELS.build(cfg.model)
print('built', type(model).__name__, sum(p.numel() for p in model.parameters()))
path = sys.argv[1]
torch.save({'state_dict': {'w': torch.ones(2)}}, path)
real_load, calls = torch.load, []
torch.load = lambda *a, **k: calls.append(k) or real_load(*a, **k)
for _ in range(2):
    print('loaded', CheckpointLoader.load_checkpoint(path)['state_dict']['w'].tolist())
print('weights_only passed:', [c.get('weights_only', 'not passed') for c in calls])
print('loader', CheckpointLoader._get_checkpoint_loader(path).__name__)
'''


def test_old_torch_without_safe_globals_imports_and_builds(repo_root, tmp_path):
    out = subprocess.run([sys.executable, '-c', OLD_TORCH, str(tmp_path / 'w.pth')],
                         cwd=repo_root, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    # MoCo v2 twin: two encoders (online + momentum) of the half-width ResNet-18 + the
    # 256-256-128 MLP
    from mmpretrain.models import ResNet
    encoder = sum(p.numel() for p in ResNet(depth=18, stem_channels=32,
                                            base_channels=32).parameters()) \
        + (256 * 256 + 256) + (256 * 128 + 128)
    assert f'built MoCo {2 * encoder}' in out.stdout
    assert out.stdout.count('loaded [1.0, 1.0]') == 2
    # mmengine's behaviour is kept (torch's default weights_only), warned about once
    assert "weights_only passed: ['not passed', 'not passed']" in out.stdout
    assert 'loader load_from_local_trusted' in out.stdout
    log = out.stdout + out.stderr
    assert log.count('checkpoints are loaded with weights_only=False') == 1
    assert 'trusted sources only' in log
    assert osp.isfile(tmp_path / 'w.pth')
