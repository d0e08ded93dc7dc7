"""tools/benchmarks/mmpretrain/{dist,slurm}_train.sh: usage, and what the SLURM launcher hands
to srun for a Table 5 config (the srun stand-in of tests/helpers/fake_slurm records only)."""
import shlex
import subprocess

import pytest
import torch

import mls_mm  # noqa: F401 - safe globals for torch.load(weights_only=True)

from helpers.launch_helpers import REPO, fake_slurm_env, launcher_env

CUB = 'configs/benchmarks/classification/cub/resnet50_finetune-4xb16-coslr-120e_cub.py'


@pytest.mark.parametrize('script,args', [
    ('tools/benchmarks/mmpretrain/dist_train.sh', ['CONFIG', 'PRETRAIN']),
    ('tools/benchmarks/mmpretrain/slurm_train.sh', ['PARTITION', 'JOB', 'CONFIG']),
])
def test_missing_argument_prints_the_usage(script, args):
    result = subprocess.run(['bash', script, *args], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2 and 'Usage: ' in result.stderr and script in result.stderr


def test_slurm_launcher_converts_then_calls_srun(tmp_path):
    """`GPUS=4 bash tools/benchmarks/mmpretrain/slurm_train.sh PARTITION JOB CUB PRETRAIN`:
    the R50 weights are converted and checked against the CUB config on the login node, and
    srun gets 4 tasks of tools/train.py with the converted file in model.backbone.init_cfg."""
    from mmpretrain.models import ResNet
    torch.manual_seed(0)
    weights = ResNet(depth=50).state_dict()
    run_dir = tmp_path / 'mls_r50_run'
    run_dir.mkdir()
    torch.save({'state_dict': {'backbone.' + k: v for k, v in weights.items()}},
               run_dir / 'epoch_400.pth')
    (run_dir / 'last_checkpoint').write_text(str(run_dir / 'epoch_400.pth'))
    log = tmp_path / 'srun.txt'
    work_dir = str(tmp_path / 'ft')
    env = launcher_env(**fake_slurm_env(log), FAKE_SLURM_DRY_RUN=1, GPUS=4, WORK_DIR=work_dir)
    result = subprocess.run(['bash', 'tools/benchmarks/mmpretrain/slurm_train.sh', 'PARTITION',
                             'cub', CUB, str(run_dir)], cwd=REPO, env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    converted = torch.load(f'{work_dir}/backbone.pth', map_location='cpu',
                           weights_only=True)['state_dict']
    assert set(converted) == set(weights)
    assert all(torch.equal(converted[k], v) for k, v in weights.items())
    (line, ) = [shlex.split(ln) for ln in log.read_text().splitlines() if ln.startswith('srun')]
    assert '--ntasks=4' in line and '--job-name=cub' in line
    program = line[next(i for i, w in enumerate(line) if w.endswith('tools/train.py')):]
    assert program[1] == CUB
    assert f'--work-dir={work_dir}' in program and 'slurm' in program
    assert f'model.backbone.init_cfg.checkpoint={work_dir}/backbone.pth' in program
    assert 'model.backbone.init_cfg.prefix=' in program
