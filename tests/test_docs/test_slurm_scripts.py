"""The SLURM scripts, run with stand-ins for srun and scontrol (tests/helpers/fake_slurm).

The stand-in srun records its command line and runs the task once as SLURM task 0 of 1
(SLURM_PROCID=0, SLURM_NTASKS=1, SLURM_NODELIST=localhost); tools/train.py and tools/test.py
with ``--launcher slurm`` then join a one-process gloo group the way they would on a cluster
(the master address from ``scontrol show hostname``), so these tests check both the srun line
the scripts build and that the job they start trains / evaluates.
"""
import os
import os.path as osp
import re
import shlex
import subprocess

import pytest
import torch
from mmengine.config import Config

import mls_mm  # noqa: F401 - safe globals for torch.load(weights_only=True)

from helpers.launch_helpers import (PRETRAIN_CONFIG, REPO, fake_slurm_env, launcher_env,
                                    pretrain_options, run)
from helpers.twin_launch import (assert_started_from_the_converted_weights,
                                 assert_trained_and_evaluated, launch_twin, tiny_options)

SEG_TWIN = osp.join(REPO, 'configs/benchmarks/mmsegmentation/scenes/'
                    'psanet_r18b-d8_1xb8-100i_scenes-64x64.py')
DET_C4_TWIN = osp.join(REPO, 'configs/benchmarks/mmdetection/scenes/'
                       'faster-rcnn_r18-c4_1xb4-600i_scenes.py')


def srun_calls(log):
    """The recorded srun command lines, each split into words."""
    return [shlex.split(line)[1:] for line in log.read_text().splitlines()
            if line.startswith('srun ')]


def srun_options(words):
    """srun's own options (up to the program) and the program's command line."""
    for index, word in enumerate(words):
        if not word.startswith('-') and (index == 0 or words[index - 1] != '-p'):
            return words[:index], words[index:]
    raise AssertionError(f'no program in the srun line {words}')


def slurm_env(fake_slurm, **extra):
    extra_env, _ = fake_slurm
    env = launcher_env(**extra_env, **extra)
    env.pop('MASTER_ADDR', None)  # found through scontrol, as on a cluster
    return env


@pytest.mark.parametrize('args,gpus,work_dir,passed', [
    (['CONFIG.py', 'wd', '--cfg-options', 'a=1'], {}, 'wd', ['--cfg-options', 'a=1']),
    (['CONFIG.py', '--cfg-options', 'a=1'], {}, 'work_dirs/job', ['--cfg-options', 'a=1']),
    (['CONFIG.py', '--resume'], {'GPUS': 4}, 'work_dirs/job', ['--resume']),
    (['CONFIG.py'], {'GPUS': 16, 'GPUS_PER_NODE': 8}, 'work_dirs/job', []),
], ids=['work_dir', 'options_right_after_config', 'gpus_4', 'two_nodes'])
def test_slurm_train_arguments(args, gpus, work_dir, passed, fake_slurm, tmp_path):
    """WORK_DIR is the 4th argument only when it is not an option; GPUS sets the tasks and,
    up to 8, the GPUs asked for per node. (srun records only: FAKE_SLURM_DRY_RUN.)"""
    env = slurm_env(fake_slurm, FAKE_SLURM_DRY_RUN=1, **gpus)
    run(['bash', osp.join(REPO, 'tools/slurm_train.sh'), 'PART', 'job', *args], cwd=tmp_path,
        env=env)
    (call, ) = srun_calls(fake_slurm[1])
    options, program = srun_options(call)
    tasks = gpus.get('GPUS', 8)
    per_node = gpus.get('GPUS_PER_NODE', min(tasks, 8))
    assert options[:2] == ['-p', 'PART']
    for expected in ('--job-name=job', f'--gres=gpu:{per_node}', f'--ntasks={tasks}',
                     f'--ntasks-per-node={per_node}', '--cpus-per-task=5',
                     '--kill-on-bad-exit=1'):
        assert expected in options, (expected, options)
    assert program[2:] == [osp.join(REPO, 'tools/train.py'), 'CONFIG.py',
                           f'--work-dir={work_dir}', '--launcher', 'slurm', *passed], program


def test_slurm_train_runs_training(fake_slurm, scenes_root, tmp_path):
    """`GPUS=16 bash tools/slurm_train.sh PARTITION mls CONFIG [train options]`: no WORK_DIR,
    so the options after CONFIG reach tools/train.py and the run goes to work_dirs/mls."""
    env = slurm_env(fake_slurm, GPUS=16)
    result = run(['bash', osp.join(REPO, 'tools/slurm_train.sh'), 'PARTITION', 'mls',
                  osp.join(REPO, PRETRAIN_CONFIG), '--cfg-options', *pretrain_options(scenes_root),
                  'custom_hooks=[]'], cwd=tmp_path, env=env)
    (call, ) = srun_calls(fake_slurm[1])
    options, program = srun_options(call)
    assert options[:2] == ['-p', 'PARTITION'] and '--job-name=mls' in options
    assert '--ntasks=16' in options and '--ntasks-per-node=8' in options
    assert '--launcher' in program and program[program.index('--launcher') + 1] == 'slurm'
    assert 'scontrol show hostname localhost' in fake_slurm[1].read_text()
    work_dir = tmp_path / 'work_dirs' / 'mls'
    assert (work_dir / 'epoch_1.pth').is_file(), result.log[-3000:]
    assert 'Distributed launcher: slurm' in result.log
    assert 'Distributed training: True' in result.log
    ckpt = torch.load(work_dir / 'epoch_1.pth', map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 2  # 64 fixture images, batch 32


@pytest.fixture(scope='module')
def seg_slurm_run(pretrain_work_dir, scenes_root, tmp_path_factory):
    """`GPUS=4 bash tools/benchmarks/mmsegmentation/slurm_train.sh PARTITION psa TWIN PRETRAIN`
    on the PSANet scenes twin, from the session's pretraining work_dir."""
    tmp_path = tmp_path_factory.mktemp('seg_slurm')
    log = tmp_path / 'slurm_calls.txt'
    fake = (fake_slurm_env(log), log)
    work_dir = str(tmp_path / 'ft')
    launched = launch_twin(SEG_TWIN, pretrain_work_dir[0], work_dir, scenes_root, tmp_path,
                           slurm=({**fake[0], 'GPUS': 4}, 'PARTITION', 'psa'))
    return launched, work_dir, fake


def test_benchmark_slurm_train_mmseg(seg_slurm_run):
    (result, start, converted, backbone), work_dir, (_, log) = seg_slurm_run
    (call, ) = srun_calls(log)
    options, program = srun_options(call)
    assert options[:2] == ['-p', 'PARTITION'] and '--job-name=psa' in options
    assert '--ntasks=4' in options and '--gres=gpu:4' in options
    assert f'--work-dir={work_dir}' in program
    assert f'model.backbone.init_cfg.checkpoint={work_dir}/backbone.pth' in program
    assert_started_from_the_converted_weights(SEG_TWIN, result, start, converted, backbone)
    assert_trained_and_evaluated(SEG_TWIN, work_dir, result)


def test_slurm_test_evaluates_a_checkpoint(seg_slurm_run, fake_slurm, scenes_root):
    """`bash tools/slurm_test.sh PARTITION JOB CONFIG CKPT [test options]` evaluates the
    fine-tuned checkpoint through srun (tools/test.py --launcher slurm)."""
    _, work_dir, _ = seg_slurm_run
    options = tiny_options(Config.fromfile(SEG_TWIN), scenes_root)
    ckpt = osp.join(work_dir, 'iter_2.pth')
    result = run(['bash', 'tools/slurm_test.sh', 'PARTITION', 'eval', SEG_TWIN, ckpt,
                  '--work-dir', osp.join(work_dir, 'test'), '--cfg-options', *options],
                 env=slurm_env(fake_slurm, GPUS=1))
    (call, ) = srun_calls(fake_slurm[1])
    options_, program = srun_options(call)
    assert '--job-name=eval' in options_ and '--ntasks=1' in options_
    assert program[2:6] == [osp.join(REPO, 'tools/test.py'), SEG_TWIN, ckpt, '--launcher']
    assert re.search(r'Iter\(test\).*mIoU:\s*[\d.]+', result.log), result.log[-3000:]
    assert f'Load checkpoint from {ckpt}' in result.log


def test_benchmark_slurm_train_mmdet_c4(pretrain_work_dir, scenes_root, fake_slurm, tmp_path):
    """`GPUS=8 bash tools/benchmarks/mmdetection/slurm_train.sh PARTITION JOB TWIN PRETRAIN`
    on a C4 twin: both CheckedPretrained modules (backbone, res5 head) load the converted file
    through srun."""
    work_dir = str(tmp_path / 'ft')
    extra, log = fake_slurm
    result, start, converted, backbone = launch_twin(
        DET_C4_TWIN, pretrain_work_dir[0], work_dir, scenes_root, tmp_path,
        slurm=({**extra, 'GPUS': 8}, 'PARTITION', 'c4'))
    (call, ) = srun_calls(log)
    options, program = srun_options(call)
    assert '--job-name=c4' in options and '--ntasks=8' in options and '--gres=gpu:8' in options
    for module in ('model.backbone', 'model.roi_head.shared_head'):
        assert f'{module}.init_cfg.checkpoint={work_dir}/backbone.pth' in program, module
        assert f'{module}.init_cfg.prefix=' in program, module
    assert_started_from_the_converted_weights(DET_C4_TWIN, result, start, converted, backbone)
    assert_trained_and_evaluated(DET_C4_TWIN, work_dir, result)


@pytest.mark.parametrize('script,args', [
    ('tools/dist_train.sh', ['CONFIG']),
    ('tools/dist_test.sh', ['CONFIG', 'CKPT']),
    ('tools/slurm_train.sh', ['PARTITION', 'JOB']),
    ('tools/slurm_test.sh', ['PARTITION', 'JOB', 'CONFIG']),
    ('tools/benchmarks/mmdetection/dist_train.sh', ['CONFIG', 'PRETRAIN']),
    ('tools/benchmarks/mmsegmentation/dist_train.sh', ['CONFIG', 'PRETRAIN']),
    ('tools/benchmarks/mmdetection/slurm_train.sh', ['PARTITION', 'JOB', 'CONFIG']),
    ('tools/benchmarks/mmsegmentation/slurm_train.sh', ['PARTITION', 'JOB', 'CONFIG']),
])
def test_launch_scripts_missing_an_argument_print_their_usage(script, args, fake_slurm):
    """One positional argument short: exit 2 with the usage line, nothing launched."""
    result = subprocess.run(['bash', script, *args], cwd=REPO, capture_output=True, text=True,
                            env=slurm_env(fake_slurm))
    assert result.returncode == 2, result.stderr
    assert 'Usage: ' in result.stderr and script in result.stderr, result.stderr
    assert srun_calls(fake_slurm[1]) == []


def test_slurm_launcher_outside_srun_names_the_missing_variables(monkeypatch):
    from mls_mm.utils.launch import slurm_env_to_torch
    for key in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv('SLURM_NTASKS', '2')
    with pytest.raises(RuntimeError, match=r'SLURM_PROCID, SLURM_NODELIST not set'):
        slurm_env_to_torch()


def test_slurm_env_follows_srun_and_keeps_a_given_master(monkeypatch):
    from mls_mm.utils.launch import slurm_env_to_torch
    env = dict(SLURM_PROCID='3', SLURM_NTASKS='8', SLURM_LOCALID='1',
               SLURM_NODELIST='node[1-2]', MASTER_ADDR='10.0.0.1')
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in ('MASTER_PORT', 'RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
        monkeypatch.delenv(key, raising=False)
    slurm_env_to_torch(port=12345)
    assert (os.environ['RANK'], os.environ['WORLD_SIZE'], os.environ['LOCAL_RANK']) == \
        ('3', '8', '1')
    assert (os.environ['MASTER_ADDR'], os.environ['MASTER_PORT']) == ('10.0.0.1', '12345')
