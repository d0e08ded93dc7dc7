"""Helpers of the documented-command tests (tests/test_docs): the environment of a launcher
call, running a command with its output in the failure message, and free ports."""
import os
import os.path as osp
import socket
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRETRAIN_CONFIG = 'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py'
FAKE_SLURM = osp.join(REPO, 'tests', 'helpers', 'fake_slurm')
HELPERS = osp.join(REPO, 'tests', 'helpers')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def launcher_env(**extra) -> dict:
    """The environment of a launcher call in a test: this interpreter, a free port, one thread
    per process, CPU multi-process runs allowed (``MLS_MM_ALLOW_CPU_DIST``), and
    ``tests/helpers`` importable (``record_state_hook``)."""
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1',
               MLS_MM_ALLOW_CPU_DIST='1')
    env['PYTHONPATH'] = os.pathsep.join(p for p in (HELPERS, env.get('PYTHONPATH')) if p)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(cmd, cwd=REPO, env=None, timeout=900):
    """Run ``cmd``; on failure the assertion shows the command and the end of its output."""
    result = subprocess.run(cmd, cwd=cwd, env=env or launcher_env(), capture_output=True,
                            text=True, timeout=timeout)
    result.log = result.stdout + result.stderr
    assert result.returncode == 0, (f'exit {result.returncode}: {" ".join(map(str, cmd))}\n'
                                    f'{result.log[-4000:]}')
    return result


def pretrain_options(scenes_root):
    """1 epoch of the MoCo v2 scenes twin on the fixture scenes (64 images: 2 iterations)."""
    return [f'train_dataloader.dataset.data_root={scenes_root}', 'train_cfg.max_epochs=1',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1']


def fake_slurm_env(log_file) -> dict:
    """Environment additions that put the srun / scontrol stand-ins first on PATH, recording
    their command lines in ``log_file`` (created empty)."""
    with open(log_file, 'w'):
        pass
    return dict(PATH=f'{FAKE_SLURM}{os.pathsep}{os.environ["PATH"]}',
                FAKE_SLURM_LOG=str(log_file), MASTER_PORT=str(free_port()))
