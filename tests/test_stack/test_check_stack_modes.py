"""tools/check_stack.py: pins or declared ranges, and which devices mmcv's ops run on."""
import importlib.util
import os.path as osp
import subprocess
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location('check_stack', osp.join(ROOT, 'tools',
                                                                        'check_stack.py'))
check_stack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_stack)


def test_existing_stack_mode_checks_the_declared_ranges(repo_root):
    out = subprocess.run([sys.executable, 'tools/check_stack.py', '--existing-stack'],
                         cwd=repo_root, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert '(within the ranges of pyproject.toml)' in out.stdout
    assert 'mmcv ops run on: cpu' in out.stdout


def test_range_and_pin_violations_are_named(tmp_path, monkeypatch):
    from importlib.metadata import version
    mmengine = version('mmengine')
    pyproject = tmp_path / 'pyproject.toml'
    pyproject.write_text('[project]\ndependencies = [\n    "mmengine>=99",\n    "torch>=2.0",\n'
                         '    "not-a-package-xyz>=1",\n]\n\n[project.optional-dependencies]\n'
                         'det = ["mmdet<0.1"]\nmore = ["another-absent-package-xyz"]\n')
    real = check_stack.declared_requirements
    monkeypatch.setattr(check_stack, 'declared_requirements', lambda: real(str(pyproject)))
    problems = check_stack.check_ranges()
    assert problems == [
        f'mmengine: version {mmengine}, pyproject.toml declares mmengine>=99',
        'not-a-package-xyz: not installed (pyproject.toml declares not-a-package-xyz>=1)',
        f'mmdet: version {version("mmdet")}, pyproject.toml declares mmdet<0.1',
    ]  # an absent optional package is not a problem
    monkeypatch.setitem(check_stack.PINS, 'mmengine', '0.0.1')
    assert [p for p in check_stack.check_pins() if p.startswith('mmengine')] == [
        f'mmengine: version {mmengine}, expected 0.0.1 (a stack of your own: '
        'tools/check_stack.py --existing-stack)']


def test_pyproject_is_read_the_same_without_tomllib(monkeypatch):
    with_tomllib = check_stack.declared_requirements()
    assert 'mmcv>=2.0.0,<2.2.0' in with_tomllib[0] and 'mmdet>=3.0,<3.4' in with_tomllib[1]
    monkeypatch.setitem(sys.modules, 'tomllib', None)  # Python < 3.11
    assert check_stack.declared_requirements() == with_tomllib


def _fake_gpu(monkeypatch, cuda_ops_work):
    """torch sees one GPU; mmcv's ops on it work or fail as a CPU-only mmcv build fails."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    real_run_ops = check_stack.run_ops

    def run_ops(device):
        if device == 'cpu':
            return real_run_ops('cpu')
        if cuda_ops_work:
            return []
        raise RuntimeError('nms_impl: implementation for device cuda:0 not found.')

    monkeypatch.setattr(check_stack, 'run_ops', run_ops)


def test_cpu_only_mmcv_on_a_gpu_machine_is_a_problem_with_the_fix(monkeypatch):
    monkeypatch.delenv('MLS_MM_MMCV_BUILD', raising=False)
    _fake_gpu(monkeypatch, cuda_ops_work=False)
    problems, notes, devices = check_stack.check_ops()
    assert devices == ['cpu'] and notes == []
    assert len(problems) == 1
    assert 'torch sees 1 GPU(s) but mmcv.ops fail on CUDA tensors' in problems[0]
    assert 'built with CPU ops only' in problems[0]
    assert 'bash tools/install.sh' in problems[0] and 'MLS_MM_MMCV_BUILD=cpu' in problems[0]
    # asked for: a note, not a problem
    monkeypatch.setenv('MLS_MM_MMCV_BUILD', 'cpu')
    problems, notes, devices = check_stack.check_ops()
    assert problems == [] and devices == ['cpu'] and 'asked for this' in notes[0]


def test_ops_on_both_devices_are_reported(monkeypatch, capsys):
    _fake_gpu(monkeypatch, cuda_ops_work=True)
    assert check_stack.check_ops() == ([], [], ['cpu', 'cuda'])
    assert check_stack.main(['--existing-stack']) == 0
    out = capsys.readouterr().out
    assert 'mmcv ops run on: cpu, cuda' in out and 'run on the CPU and on CUDA' in out


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_real_cuda_ops():  # pragma: no cover - GPU machines only
    assert check_stack.run_ops('cuda') == []
