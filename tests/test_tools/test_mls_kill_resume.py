"""MLS scenes run through tools/train.py, killed, then resumed with --resume."""
import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import torch

import mls_mm  # noqa: F401 - safe globals for torch.load(weights_only=True)
from helpers.checkpoints import load_own_checkpoint

CONFIG = 'configs/mls/mls_resnet18_1xb32-coslr-10e_scenes.py'


def test_killed_run_resumes_exactly(repo_root, scenes_root, tmp_path):
    work_dir = tmp_path / 'work'
    record = tmp_path / 'start_state.pth'
    cfg_file = tmp_path / 'mls_scenes_recorded.py'
    cfg_file.write_text(
        f"_base_ = '{osp.join(repo_root, CONFIG)}'\n"
        "custom_imports = dict(imports=['mls_mm', 'record_state_hook'], "
        "allow_failed_imports=False)\n"
        f"custom_hooks = [dict(type='RecordStateHook', out_file='{record}')]\n")
    env = dict(**os.environ,
               PYTHONPATH=osp.join(repo_root, 'tests', 'helpers'))
    cmd = [sys.executable, osp.join(repo_root, 'tools/train.py'), str(cfg_file),
           '--work-dir', str(work_dir), '--cfg-options', 'train_dataloader.batch_size=16',
           'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
           f'train_dataloader.dataset.data_root={scenes_root}', 'model.dict_size=64',
           'train_cfg.max_epochs=6', 'default_hooks.checkpoint.interval=1',
           'default_hooks.logger.interval=1']
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (work_dir / 'last_checkpoint').exists():
        assert proc.poll() is None, 'training died before its first checkpoint'
        assert time.time() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    ckpt_path = (work_dir / 'last_checkpoint').read_text().strip()
    assert not osp.isfile(osp.join(work_dir, 'epoch_6.pth')), 'was not killed mid-run'
    saved = load_own_checkpoint(ckpt_path)  # before rotation

    out = subprocess.run(cmd + ['--resume'], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    start = load_own_checkpoint(record)
    assert start['iter'] == saved['meta']['iter'] > 0
    for key in ('queue.g', 'queue.z', 'queue.labels', 'queue.ptr'):
        assert torch.equal(start['state_dict'][key], saved['state_dict'][key]), key
    momentum = [k for k in saved['state_dict'] if k.startswith('momentum_encoder.')]
    assert len(momentum) > 50
    for key in momentum:
        assert torch.equal(start['state_dict'][key], saved['state_dict'][key]), key
    assert osp.isfile(osp.join(work_dir, 'epoch_6.pth'))

    # both loss terms and the pseudo-label monitors are logged
    scalars = glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
    rows = [json.loads(line) for f in scalars for line in open(f)]
    for key in ('loss', 'loss_nce', 'loss_ml', 'pl_precision', 'pl_chance'):
        assert any(key in r for r in rows), key
