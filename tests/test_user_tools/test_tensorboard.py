"""configs/_base_/tensorboard.py: a config that adds it to its bases writes TensorBoard event
files holding the training loss that mmengine logged."""
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mls_mm.utils import load_config

MOCOV2 = 'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py'
SNIPPET = 'configs/_base_/tensorboard.py'


def _user_config(repo_root, tmp_path):
    """The two lines docs/tools.md tells a user to add, in a config of their own."""
    path = tmp_path / 'mocov2_tensorboard.py'
    path.write_text(
        f"_base_ = [{osp.join(repo_root, MOCOV2)!r}, {osp.join(repo_root, SNIPPET)!r}]\n"
        "visualizer = {{_base_.tensorboard_visualizer}}\n")
    return str(path)


def test_snippet_combines_with_the_runtime_bases(repo_root, tmp_path):
    cfg = Config.fromfile(_user_config(repo_root, tmp_path))
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend']
    assert cfg.visualizer.type == 'UniversalVisualizer'
    # without the assignment the bases' visualizer (local only) stays in force
    plain = Config.fromfile(osp.join(repo_root, MOCOV2))
    assert [b['type'] for b in plain.visualizer.vis_backends] == ['LocalVisBackend']


def test_training_writes_the_loss_to_tensorboard_events(repo_root, scenes_root, tmp_path):
    # tensorboard is pinned in requirements.txt: a missing package fails here, not skips
    from tensorboard.backend.event_processing import event_accumulator
    work_dir = str(tmp_path / 'work')
    cfg = load_config(_user_config(repo_root, tmp_path), work_dir, {
        'train_dataloader.batch_size': 8,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.data_root': scenes_root,
        'model.queue_len': 48,
        'train_cfg.max_epochs': 1,
        'default_hooks.logger.interval': 2,
        'default_hooks.checkpoint.interval': 100,
    })
    cfg.custom_hooks = []  # the kNN monitor is not what this test is about
    Runner.from_cfg(cfg).train()

    events = glob.glob(osp.join(work_dir, '*', 'vis_data', 'events.out.tfevents.*'))
    assert len(events) == 1, f'expected one TensorBoard event file under {work_dir}: {events}'
    acc = event_accumulator.EventAccumulator(osp.dirname(events[0]))
    acc.Reload()
    assert 'loss' in acc.Tags()['scalars'], acc.Tags()
    tb_loss = [(e.step, e.value) for e in acc.Scalars('loss')]

    # the same values mmengine's local backend wrote to scalars.json (8 iterations, every 2nd)
    scalars = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars[0]) as f:
        local = [json.loads(line) for line in f if line.strip()]
    json_loss = [(r['step'], r['loss']) for r in local if 'loss' in r]
    assert [s for s, _ in tb_loss] == [s for s, _ in json_loss] == [2, 4, 6, 8]
    for (_, tb), (_, js) in zip(tb_loss, json_loss):
        assert tb == pytest.approx(js, rel=1e-6)
    assert all(v > 0 for _, v in tb_loss)  # InfoNCE of a 49-way classification is ~ln 49
