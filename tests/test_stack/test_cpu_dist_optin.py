"""A multi-process launch that finds no GPU stops unless CPU (gloo) processes are asked for."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mls_mm.utils import load_config
from mls_mm.utils.launch import ALLOW_CPU_DIST_ENV

CONFIG = 'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py'
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without GPU')


def test_launch_without_gpu_or_opt_in_stops(repo_root, monkeypatch):
    monkeypatch.delenv(ALLOW_CPU_DIST_ENV, raising=False)
    with pytest.raises(RuntimeError, match=r'--launcher pytorch: torch .* sees no CUDA device'
                       r'[\s\S]*MLS_MM_ALLOW_CPU_DIST=1 or --cfg-options '
                       r'env_cfg.dist_cfg.backend=gloo'):
        load_config(osp.join(repo_root, CONFIG), launcher='pytorch')
    # a single-process run is unaffected
    assert load_config(osp.join(repo_root, CONFIG)).launcher == 'none'


@pytest.mark.parametrize('opt_in', ['env', 'gloo backend'])
def test_opt_in_gives_a_gloo_cpu_run(repo_root, monkeypatch, opt_in):
    monkeypatch.delenv(ALLOW_CPU_DIST_ENV, raising=False)
    options = None
    if opt_in == 'env':
        monkeypatch.setenv(ALLOW_CPU_DIST_ENV, '1')
    else:
        options = {'env_cfg.dist_cfg.backend': 'gloo'}
    cfg = load_config(osp.join(repo_root, CONFIG), cfg_options=options, launcher='pytorch')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.device_ids is None


def _torchrun(repo_root, scenes_root, tmp_path, opt_in):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop(ALLOW_CPU_DIST_ENV, None)
    if opt_in:
        env[ALLOW_CPU_DIST_ENV] = '1'
    options = [f'train_dataloader.dataset.data_root={scenes_root}/', 'custom_hooks=[]',
               'train_dataloader.dataset.indices=32', 'train_dataloader.num_workers=0',
               'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
               'default_hooks.logger.interval=1']
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '1',
           'tools/train.py', CONFIG, '--launcher', 'pytorch', '--work-dir', str(tmp_path / 'wd'),
           '--cfg-options', *options]
    return subprocess.run(cmd, cwd=repo_root, env=env, capture_output=True, text=True,
                          timeout=600)


def test_torchrun_without_opt_in_fails_with_the_fix(repo_root, scenes_root, tmp_path):
    out = _torchrun(repo_root, scenes_root, tmp_path, opt_in=False)
    assert out.returncode != 0
    assert 'sees no CUDA device' in out.stderr and 'MLS_MM_ALLOW_CPU_DIST=1' in out.stderr
    assert not (tmp_path / 'wd' / 'epoch_1.pth').exists()


def test_torchrun_with_opt_in_trains_in_a_gloo_process(repo_root, scenes_root, tmp_path):
    out = _torchrun(repo_root, scenes_root, tmp_path, opt_in=True)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    assert 'using the gloo backend instead of nccl' in log
    assert "dist_cfg: {'backend': 'gloo'}" in log and 'Distributed launcher: pytorch' in log
    assert (tmp_path / 'wd' / 'epoch_1.pth').exists()
