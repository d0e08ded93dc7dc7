"""tools/install.sh picks the mmcv build from what the machine has (dry runs on simulated
machines; nothing is installed or built), reuses only CPU-only wheels of the old cache key, and
a matching stamp installs nothing."""
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import zipfile

import pytest
import torch

SCRIPT = 'tools/install.sh'
PY_TAG = f'cp{sys.version_info[0]}{sys.version_info[1]}'
OLD_KEY = f'mmcv2.1.0-torch2.14.1-{PY_TAG}-{platform.machine()}'


def _install(repo_root, tmp_path, *args, **env_vars):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('MLS_MM_') and k != 'TORCH_CUDA_ARCH_LIST'}
    env.update(MLS_MM_VENV=str(tmp_path / 'venv'), MLS_MM_WHEEL_CACHE=str(tmp_path / 'cache'),
               PYTHON=sys.executable)
    env.update(env_vars)
    return subprocess.run(['bash', SCRIPT, *args], cwd=repo_root, env=env, capture_output=True,
                          text=True, timeout=300)


def _tree(root):
    return sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob('*'))


def _dry_run(repo_root, tmp_path, **env_vars):
    before = _tree(tmp_path)
    out = _install(repo_root, tmp_path, '--dry-run', **env_vars)
    assert 'dry run: nothing is installed or built' in out.stdout
    assert _tree(tmp_path) == before  # no venv, no cache folder, nothing changed
    return out


GPU_MACHINE = dict(MLS_MM_SIM_TORCH_CUDA='12.1', MLS_MM_SIM_GPU_CAPS='8.0,9.0')


def test_no_gpu_gives_cpu_ops_with_the_gpu_hidden(repo_root, tmp_path):
    out = _dry_run(repo_root, tmp_path, MLS_MM_SIM_TORCH_CUDA='12.1', MLS_MM_SIM_GPU_CAPS='',
                   MLS_MM_SIM_NVCC='12.1')
    assert out.returncode == 0, out.stderr
    assert 'mmcv 2.1.0 build: cpu ops (torch 2.14.1 sees no GPU)' in out.stdout
    assert 'MMCV_WITH_OPS=1 FORCE_CUDA=0 CUDA_VISIBLE_DEVICES= ' in out.stdout
    assert f'wheel cache key: {OLD_KEY}-cpu\n' in out.stdout


def test_gpu_and_matching_nvcc_give_cuda_ops_for_the_visible_archs(repo_root, tmp_path):
    out = _dry_run(repo_root, tmp_path, MLS_MM_SIM_NVCC='12.1', **GPU_MACHINE)
    assert out.returncode == 0, out.stderr
    assert 'build: cuda ops (torch 2.14.1 (CUDA 12.1) sees GPUs (8.0, 9.0) and nvcc 12.1' \
        in out.stdout
    assert "FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST='8.0;9.0'" in out.stdout
    assert f'wheel cache key: {OLD_KEY}-cu121-arch8.0_9.0\n' in out.stdout
    # a user's arch list wins, and is part of the key
    out = _dry_run(repo_root, tmp_path, MLS_MM_SIM_NVCC='12.1', TORCH_CUDA_ARCH_LIST='9.0+PTX',
                   **GPU_MACHINE)
    assert "TORCH_CUDA_ARCH_LIST='9.0+PTX'" in out.stdout and 'set by you' in out.stdout
    assert f'wheel cache key: {OLD_KEY}-cu121-arch9.0+PTX\n' in out.stdout


@pytest.mark.parametrize('nvcc', ['11.8', 'none'])
def test_gpu_without_matching_nvcc_stops_with_the_fix(repo_root, tmp_path, nvcc):
    out = _dry_run(repo_root, tmp_path, MLS_MM_SIM_NVCC=nvcc, **GPU_MACHINE)
    assert out.returncode != 0
    assert 'build:' not in out.stdout
    found = 'nvcc is CUDA 11.8' if nvcc == '11.8' else 'no nvcc was found'
    assert f'STOP: torch 2.14.1 (CUDA 12.1) sees GPUs of compute capability 8.0, 9.0' \
        in out.stderr and found in out.stderr
    for fix in ('install the CUDA 12.1 toolkit', 'MLS_MM_MMCV_BUILD=cpu',
                'MLS_MM_USE_EXISTING_STACK=1'):
        assert fix in out.stderr


def test_cpu_build_can_be_asked_for_on_a_gpu_machine(repo_root, tmp_path):
    out = _dry_run(repo_root, tmp_path, MLS_MM_MMCV_BUILD='cpu', MLS_MM_SIM_NVCC='none',
                   **GPU_MACHINE)
    assert out.returncode == 0, out.stderr
    assert 'build: cpu ops (MLS_MM_MMCV_BUILD=cpu)' in out.stdout
    assert 'CUDA_VISIBLE_DEVICES= ' in out.stdout
    assert f'wheel cache key: {OLD_KEY}-cpu\n' in out.stdout


def test_bad_build_mode_and_simulation_outside_dry_run_are_refused(repo_root, tmp_path):
    out = _dry_run(repo_root, tmp_path, MLS_MM_MMCV_BUILD='gpu', **GPU_MACHINE)
    assert out.returncode != 0 and 'MLS_MM_MMCV_BUILD=gpu: use auto, cpu or cuda' in out.stderr
    out = _install(repo_root, tmp_path, MLS_MM_SIM_GPU_CAPS='')
    assert out.returncode != 0 and 'for --dry-run only' in out.stderr
    assert not (tmp_path / 'venv').exists()


def _needed(path):
    """The shared libraries an ELF file links, from readelf (independent of install.sh)."""
    out = subprocess.run(['readelf', '-d', str(path)], capture_output=True, text=True,
                         check=True).stdout
    return [line.split('[')[1].rstrip(']') for line in out.splitlines() if '(NEEDED)' in line]


def _fake_wheel(directory, ext_so, requires=('numpy', 'yapf')):
    """A wheel holding ``ext_so`` as mmcv's compiled extension and ``requires`` as its
    Requires-Dist lines."""
    os.makedirs(directory, exist_ok=True)
    wheel = os.path.join(directory, f'mmcv-2.1.0-{PY_TAG}-{PY_TAG}-linux_x86_64.whl')
    with zipfile.ZipFile(wheel, 'w') as zf:
        zf.write(ext_so, f'mmcv/_ext.{PY_TAG}-x86_64-linux-gnu.so')
        zf.writestr('mmcv-2.1.0.dist-info/METADATA', 'Metadata-Version: 2.1\nName: mmcv\n'
                    'Version: 2.1.0\n' + ''.join(f'Requires-Dist: {r}\n' for r in requires))
    return wheel


def test_a_cached_wheel_that_requires_opencv_python_is_rebuilt(repo_root, tmp_path):
    """mmcv's setup.py asks for opencv-python when no cv2 imports at build time; such a wheel
    (the cache of an older install.sh) would pull in opencv-python beside the headless build."""
    machine = dict(MLS_MM_SIM_TORCH_CUDA='none', MLS_MM_SIM_GPU_CAPS='', MLS_MM_SIM_NVCC='none')
    cache = tmp_path / 'cache' / f'{OLD_KEY}-cpu'
    ext = tmp_path / 'ext.so'
    ext.write_bytes(b'\x7fELF not a real library')
    _fake_wheel(cache, ext, requires=('numpy', 'opencv-python>=3', 'yapf'))
    out = _dry_run(repo_root, tmp_path, **machine)
    assert out.returncode == 0, out.stderr
    assert (f'wheel cache: the wheel in {cache} requires opencv-python (built without cv2 '
            'present): would rebuild it') in out.stdout
    _fake_wheel(cache, ext, requires=('numpy', 'opencv-python-headless>=3', 'yapf'))
    out = _dry_run(repo_root, tmp_path, **machine)
    assert f'wheel cache: {cache} has the wheel (no build)' in out.stdout


def _installed_mmcv_ext():
    import glob

    import mmcv
    found = glob.glob(os.path.join(os.path.dirname(mmcv.__file__), '_ext*.so'))
    if not found:
        pytest.skip('mmcv has no compiled extension here')
    return found[0]


@pytest.mark.skipif(shutil.which('readelf') is None, reason='needs readelf')
def test_old_key_wheel_is_reused_only_if_it_has_no_cuda_code(repo_root, tmp_path):
    machine = dict(MLS_MM_SIM_TORCH_CUDA='13.0', MLS_MM_SIM_GPU_CAPS='', MLS_MM_SIM_NVCC='13.0')
    old = tmp_path / 'cache' / OLD_KEY
    cpu_ext = _installed_mmcv_ext()
    if any('cudart' in lib or 'cuda' in lib for lib in _needed(cpu_ext)):
        pytest.skip('the installed mmcv was built with CUDA ops')
    wheel = _fake_wheel(old, cpu_ext)
    out = _dry_run(repo_root, tmp_path, **machine)
    assert f'would reuse {wheel} (old key, its mmcv/_ext .so has no CUDA code)' in out.stdout
    # a CUDA-linked library in its place: not reused for a CPU build
    cuda_lib = os.path.join(os.path.dirname(torch.__file__), 'lib', 'libc10_cuda.so')
    if not os.path.isfile(cuda_lib):
        pytest.skip('torch here has no libc10_cuda.so to stand for a CUDA extension')
    assert any(lib.startswith('libcudart') for lib in _needed(cuda_lib))
    os.remove(wheel)
    _fake_wheel(old, cuda_lib)
    out = _dry_run(repo_root, tmp_path, **machine)
    assert 'would reuse' not in out.stdout
    assert f'{OLD_KEY}-cpu is empty: would build mmcv 2.1.0 from the sdist' in out.stdout


def test_this_machine_is_decided_from_what_torch_sees(repo_root, tmp_path):
    out = _dry_run(repo_root, tmp_path, MLS_MM_VENV=sys.prefix)
    assert out.returncode == 0, out.stderr
    if torch.cuda.is_available():
        assert 'build: cuda ops' in out.stdout or 'STOP' in out.stderr
    else:
        assert f'build: cpu ops (torch {torch.__version__.split("+")[0]} sees no GPU)' \
            in out.stdout


def _sha12(path):
    with open(path, 'rb') as f:
        return hashlib.sha1(f.read()).hexdigest()[:12]


@pytest.mark.skipif(torch.cuda.is_available() or torch.__version__.split('+')[0] != '2.14.1',
                    reason='the stamp below is that of the pinned stack with CPU ops')
def test_matching_stamp_installs_nothing(repo_root, tmp_path):
    """A venv whose stamp records this stack: install.sh only checks it. Its python refuses
    pip, so any install attempt would fail the run."""
    venv = tmp_path / 'venv'
    os.makedirs(venv / 'bin')
    python = venv / 'bin' / 'python'
    python.write_text('#!/bin/sh\n'
                      'if [ "$1" = -m ] && [ "$2" = pip ]; then echo "pip called" >&2; exit 9; fi\n'
                      f'exec {sys.executable} "$@"\n')
    python.chmod(0o755)
    stamp = (f'torch=[torch==2.14.1 torchvision==0.29.1] index=[] mmcv=2.1.0 build=cpu '
             f'{_sha12(os.path.join(repo_root, "requirements.txt"))} '
             f'{_sha12(os.path.join(repo_root, "pyproject.toml"))}')
    (venv / '.mls_mm_stack').write_text(stamp + '\n')
    out = _dry_run(repo_root, tmp_path)
    assert 'a real run would install nothing' in out.stdout, out.stdout
    out = _install(repo_root, tmp_path)
    assert 'stack already installed' in out.stdout and 'pip called' not in out.stderr
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert '[check_stack] ok' in out.stdout


def test_existing_stack_mode_installs_nothing_and_checks_the_ranges(repo_root, tmp_path):
    out = _dry_run(repo_root, tmp_path, MLS_MM_USE_EXISTING_STACK='1')
    assert f'would run: {sys.executable} -m pip install --no-deps -e {repo_root}' in out.stdout
    assert 'check_stack.py --existing-stack' in out.stdout
    out = _install(repo_root, tmp_path, MLS_MM_USE_EXISTING_STACK='1', MLS_MM_SKIP_EDITABLE='1')
    assert out.returncode == 0, out.stderr[-2000:]
    assert '(within the ranges of pyproject.toml)' in out.stdout
    assert not (tmp_path / 'venv').exists() and not (tmp_path / 'cache').exists()


def test_torch_spec_and_index_are_passed_to_pip(repo_root, tmp_path):
    out = _dry_run(repo_root, tmp_path, MLS_MM_TORCH_SPEC='torch==2.1.2 torchvision==0.16.2',
                   MLS_MM_TORCH_INDEX_URL='https://download.pytorch.org/whl/cu121',
                   MLS_MM_SIM_TORCH_VERSION='2.1.2', MLS_MM_SIM_TORCH_CUDA='12.1',
                   MLS_MM_SIM_GPU_CAPS='8.6', MLS_MM_SIM_NVCC='12.1')
    assert out.returncode == 0, out.stderr
    assert ('torch==2.1.2 torchvision==0.16.2 (--index-url '
            'https://download.pytorch.org/whl/cu121)') in out.stdout
    assert f'wheel cache key: mmcv2.1.0-torch2.1.2-{PY_TAG}-{platform.machine()}-cu121-arch8.6\n' \
        in out.stdout


def _first_install(repo_root, tmp_path, script, venv_var, min_free_mb):
    """Run ``script`` (install.sh or test_old_torch.sh) for a venv that does not exist yet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('MLS_MM_')}
    env.update({venv_var: str(tmp_path / 'venv'), 'MLS_MM_WHEEL_CACHE': str(tmp_path / 'cache'),
                'PYTHON': sys.executable, 'MLS_MM_MIN_FREE_MB': min_free_mb})
    return subprocess.run(['bash', script], cwd=repo_root, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize('script, venv_var', [(SCRIPT, 'MLS_MM_VENV'),
                                              ('tools/test_old_torch.sh', 'MLS_MM_OLD_TORCH_VENV')])
def test_a_first_install_on_a_full_disk_stops_before_writing(repo_root, tmp_path, script,
                                                             venv_var):
    """A disk with less room than the venv needs stops both installs before they create it,
    with the figures and the way out (the real `df` reading against an impossible need)."""
    venv = tmp_path / 'venv'
    free_mb = shutil.disk_usage(tmp_path).free // 2 ** 20
    out = _first_install(repo_root, tmp_path, script, venv_var, str(free_mb * 4 + 10 ** 6))
    assert out.returncode == 1, out.stdout + out.stderr
    assert not venv.exists() and not (tmp_path / 'cache').exists()
    message = out.stderr.strip().splitlines()[-1]
    assert f'needs about {free_mb * 4 + 10 ** 6} MB free on the disk of {venv}' in message
    have = int(message.split(', which has ')[1].split(' MB free')[0])
    assert abs(have - free_mb) <= max(200, free_mb // 50)  # df's reading, not a made-up one
    assert f'{venv_var}=...' in message and 'MLS_MM_MIN_FREE_MB=0' in message


@pytest.mark.parametrize('script, venv_var, prefix', [
    (SCRIPT, 'MLS_MM_VENV', '[install]'),
    ('tools/test_old_torch.sh', 'MLS_MM_OLD_TORCH_VENV', '[old-torch]')])
@pytest.mark.parametrize('figure', ['6G', '-1', '99999999999999999999'])
def test_a_free_space_figure_that_is_not_a_number_is_refused(repo_root, tmp_path, script,
                                                             venv_var, prefix, figure):
    out = _first_install(repo_root, tmp_path, script, venv_var, figure)
    assert out.returncode == 1 and not (tmp_path / 'venv').exists(), out.stdout + out.stderr
    assert f'{prefix} STOP: MLS_MM_MIN_FREE_MB={figure}: give a whole number of megabytes' \
        in out.stderr
