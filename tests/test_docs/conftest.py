"""Shared by the documented-command tests: one real scenes pretraining run per session and
the SLURM stand-ins (tests/helpers/fake_slurm)."""
import os.path as osp

import pytest

from helpers.launch_helpers import PRETRAIN_CONFIG, fake_slurm_env, pretrain_options, run


@pytest.fixture(scope='session')
def pretrain_work_dir(scenes_root, tmp_path_factory):
    """A real pretraining work_dir (epoch_1.pth, last_checkpoint, logs), made once per session
    by the documented `bash tools/dist_train.sh CONFIG 1` on the fixture scenes.

    Returns (work_dir, the launch's output)."""
    work_dir = str(tmp_path_factory.mktemp('pretrain') / 'mocov2_resnet18_1xb32-coslr-10e_scenes')
    result = run(['bash', 'tools/dist_train.sh', PRETRAIN_CONFIG, '1', '--work-dir', work_dir,
                  '--cfg-options', *pretrain_options(scenes_root)])
    assert osp.isfile(osp.join(work_dir, 'last_checkpoint')), result.log[-3000:]
    return work_dir, result.log


@pytest.fixture
def fake_slurm(tmp_path):
    """The srun / scontrol stand-ins: (environment additions, the file they record in)."""
    log = tmp_path / 'slurm_calls.txt'
    return fake_slurm_env(log), log
