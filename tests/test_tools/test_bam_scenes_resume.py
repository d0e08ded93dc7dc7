"""BAM scenes config through tools/train.py, then --resume to a second epoch."""
import glob
import json
import os.path as osp
import subprocess
import sys

import torch

import mls_mm  # noqa: F401 - safe globals for torch.load(weights_only=True)
from helpers.checkpoints import load_own_checkpoint

CONFIG = 'configs/bam/bam_resnet18_1xb32-coslr-10e_scenes.py'


def test_bam_scenes_trains_and_resumes(repo_root, scenes_root, tmp_path):
    work_dir = tmp_path / 'bam'
    cmd = [sys.executable, osp.join(repo_root, 'tools/train.py'), osp.join(repo_root, CONFIG),
           '--work-dir', str(work_dir), '--cfg-options', 'train_dataloader.batch_size=8',
           'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
           f'train_dataloader.dataset.data_root={scenes_root}',
           'train_dataloader.dataset.indices=32', 'default_hooks.checkpoint.interval=1',
           'default_hooks.logger.interval=1']
    subprocess.run(cmd + ['train_cfg.max_epochs=1'], check=True, capture_output=True)
    first = load_own_checkpoint(work_dir / 'epoch_1.pth')
    out = subprocess.run(cmd + ['train_cfg.max_epochs=2', '--resume'], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'resumed epoch: 1, iter: 4' in out.stdout + out.stderr
    second = load_own_checkpoint(work_dir / 'epoch_2.pth')
    assert second['meta']['iter'] == 8
    assert not torch.equal(first['state_dict']['backbone.conv1.weight'],
                           second['state_dict']['backbone.conv1.weight'])
    rows = [json.loads(line) for f in glob.glob(str(work_dir / '*' / 'vis_data' /
                                                    'scalars.json')) for line in open(f)]
    for key in ('loss', 'loss_con', 'loss_clu'):
        assert any(key in r for r in rows), key
