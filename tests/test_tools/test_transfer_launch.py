"""One command converts a pretraining work_dir and fine-tunes a detector from it."""
import os
import os.path as osp
import random
import subprocess
import sys

import pytest
import torch
from mmpretrain.models import ResNet

SCRIPT = 'tools/benchmarks/mmdetection/dist_train.sh'
TWIN = 'configs/benchmarks/mmdetection/scenes/mask-rcnn_r18_fpn_1xb4-3e_scenes.py'


def _pretraining_work_dir(path, drop_key=None):
    """A work_dir as tools/train.py leaves it: epoch_1.pth and last_checkpoint."""
    os.makedirs(path)
    torch.manual_seed(0)
    state = {'backbone.' + k: v for k, v in ResNet(depth=18, stem_channels=32, base_channels=32).state_dict().items()}
    state['neck.mlp.0.weight'] = torch.zeros(4, 512)
    state.pop(drop_key, None)
    ckpt = osp.join(path, 'epoch_1.pth')
    torch.save({'state_dict': state, 'meta': {'epoch': 1}}, ckpt)
    with open(osp.join(path, 'last_checkpoint'), 'w') as f:
        f.write(ckpt)
    return state


def _launch(repo_root, pretrain, work_dir, scenes_root):
    env = dict(os.environ, WORK_DIR=str(work_dir), PYTHON=sys.executable,
               PORT=str(random.randint(20000, 40000)), OMP_NUM_THREADS='1',
               MLS_MM_ALLOW_CPU_DIST='1')  # a CPU (gloo) process on purpose
    options = [
        f'train_dataloader.dataset.data_root={scenes_root}/',
        f'val_dataloader.dataset.data_root={scenes_root}/',
        f'val_evaluator.ann_file={scenes_root}/annotations/instances_val2017.json',
        'train_dataloader.dataset.indices=4', 'val_dataloader.dataset.indices=4',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.persistent_workers=False',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'default_hooks.logger.interval=1',
    ]
    return subprocess.run(['bash', SCRIPT, TWIN, str(pretrain), '1', '--cfg-options', *options],
                          cwd=repo_root, env=env, capture_output=True, text=True, timeout=600)


def test_work_dir_to_fine_tuned_detector(repo_root, scenes_root, tmp_path):
    source = _pretraining_work_dir(str(tmp_path / 'pretrain'))
    result = _launch(repo_root, tmp_path / 'pretrain', tmp_path / 'ft', scenes_root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    converted = torch.load(tmp_path / 'ft' / 'backbone.pth', map_location='cpu')['state_dict']
    assert set(converted) == {k[len('backbone.'):] for k in source if k.startswith('backbone.')}
    for key, value in converted.items():
        assert torch.equal(value, source['backbone.' + key]), key
    assert (tmp_path / 'ft' / 'epoch_1.pth').exists()
    log = result.stdout + result.stderr
    assert 'coco/bbox_mAP' in log and 'coco/segm_mAP' in log


def test_missing_key_stops_before_training(repo_root, scenes_root, tmp_path):
    _pretraining_work_dir(str(tmp_path / 'pretrain'), drop_key='backbone.layer2.1.conv2.weight')
    result = _launch(repo_root, tmp_path / 'pretrain', tmp_path / 'ft', scenes_root)
    assert result.returncode != 0
    assert 'layer2.1.conv2.weight' in result.stdout + result.stderr
    assert not (tmp_path / 'ft' / 'backbone.pth').exists()
    assert not any(name.endswith('.pth') for name in os.listdir(tmp_path / 'ft'))


@pytest.mark.parametrize('make', ['no_last_checkpoint', 'missing_file'])
def test_bad_pretrain_path_is_named(repo_root, scenes_root, tmp_path, make):
    pretrain = tmp_path / 'pretrain'
    os.makedirs(pretrain)
    if make == 'missing_file':
        (pretrain / 'last_checkpoint').write_text(str(pretrain / 'epoch_9.pth'))
    result = _launch(repo_root, pretrain, tmp_path / 'ft', scenes_root)
    assert result.returncode != 0
    expected = 'last_checkpoint' if make == 'no_last_checkpoint' else 'epoch_9.pth'
    assert expected in result.stderr
