"""A MoCo v2 scenes run through the real Runner, then a resume that continues exactly."""
import copy
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mls_mm.utils import load_config
from helpers.checkpoints import load_own_checkpoint

CONFIG = 'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py'


def _cfg(repo_root, scenes_root, work_dir, max_epochs):
    return load_config(
        osp.join(repo_root, CONFIG), work_dir=work_dir, cfg_options={
            'train_dataloader.batch_size': 8,
            'train_dataloader.num_workers': 0,
            'train_dataloader.persistent_workers': False,
            'train_dataloader.dataset.data_root': scenes_root,
            'model.queue_len': 48,
            'train_cfg.max_epochs': max_epochs,
            'default_hooks.checkpoint.interval': 1,
            'default_hooks.logger.interval': 1,
        })


class RecordAtStart(Hook):
    """Copies the state the training loop starts from."""

    def before_train(self, runner):
        model = runner.model
        self.iter = runner.iter
        self.queue = model.queue.clone()
        self.queue_ptr = model.queue_ptr.clone()
        self.momentum_encoder = {k: v.clone() for k, v in
                                 model.encoder_k.state_dict().items()}
        self.optimizer = copy.deepcopy(runner.optim_wrapper.optimizer.state_dict())


def test_run_then_resume_continues_from_the_checkpoint(repo_root, scenes_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    Runner.from_cfg(_cfg(repo_root, scenes_root, work_dir, max_epochs=1)).train()
    ckpt_path = osp.join(work_dir, 'epoch_1.pth')
    # mmengine's checkpoint loads with torch's safe default (mls_mm.compat allow-lists it)
    ckpt = load_own_checkpoint(ckpt_path)
    iters_per_epoch = 64 // 8
    assert ckpt['meta']['iter'] == iters_per_epoch
    state = ckpt['state_dict']
    # the queue really moved: 8 enqueues of 8 keys into 48 slots wrap to 64 % 48
    assert int(state['queue_ptr']) == (iters_per_epoch * 8) % 48

    cfg = _cfg(repo_root, scenes_root, work_dir, max_epochs=2)
    cfg.resume, cfg.load_from = True, ckpt_path
    runner = Runner.from_cfg(cfg)
    record = RecordAtStart()
    runner.register_hook(record, priority='LOWEST')
    runner.train()

    assert record.iter == iters_per_epoch
    assert torch.equal(record.queue, state['queue'])
    assert torch.equal(record.queue_ptr, state['queue_ptr'])
    for key, value in record.momentum_encoder.items():
        assert torch.equal(value, state['encoder_k.' + key]), key
    saved_opt = ckpt['optimizer']
    assert record.optimizer['param_groups'] == saved_opt['param_groups']
    assert saved_opt['state'], 'SGD momentum buffers must have been saved'
    for idx, buf in saved_opt['state'].items():
        assert torch.equal(record.optimizer['state'][idx]['momentum_buffer'],
                           buf['momentum_buffer'])
    # and it went on training to the end of epoch 2
    final = load_own_checkpoint(osp.join(work_dir, 'epoch_2.pth'))
    assert final['meta']['iter'] == 2 * iters_per_epoch
    assert not torch.equal(final['state_dict']['queue'], state['queue'])


class NotAllowed:
    pass


def test_weights_only_still_refuses_unknown_globals(tmp_path):
    import mls_mm  # noqa: F401
    path = str(tmp_path / 'evil.pth')
    torch.save({'obj': NotAllowed()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)


def test_train_py_cli_and_resume(repo_root, scenes_root, tmp_path):
    """tools/train.py end to end: one epoch, then `--resume` continues to the second."""
    work_dir = str(tmp_path / 'cli')
    common = [sys.executable, osp.join(repo_root, 'tools/train.py'), osp.join(repo_root, CONFIG),
              '--work-dir', work_dir, '--cfg-options', 'train_dataloader.batch_size=16',
              'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
              f'train_dataloader.dataset.data_root={scenes_root}', 'model.queue_len=64',
              'default_hooks.checkpoint.interval=1']
    subprocess.run(common + ['train_cfg.max_epochs=1'], check=True, cwd=str(tmp_path))
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    out = subprocess.run(common + ['train_cfg.max_epochs=2', '--resume'], check=True,
                         cwd=str(tmp_path), capture_output=True, text=True)
    log = out.stdout + out.stderr
    assert 'resumed epoch: 1, iter: 4' in log, log[-3000:]
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))
