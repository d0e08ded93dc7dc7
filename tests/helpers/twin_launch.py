"""Launching a downstream scenes twin through its benchmark launcher in a test, and the checks
that it started from the converted weights and trained (tests/test_docs)."""
import glob
import os.path as osp
import re

import torch
from mmengine.config import Config

from helpers.launch_helpers import launcher_env, run

DET = 'configs/benchmarks/mmdetection'
SEG = 'configs/benchmarks/mmsegmentation'


def tiny_options(cfg: Config, scenes_root: str) -> list:
    """Overrides for a few-iteration run of a twin on the fixture scenes, validated on 4
    images: 2 iterations (iteration-based twins) or 1 epoch of 4 images (epoch-based)."""
    options = [f'train_dataloader.dataset.data_root={scenes_root}/',
               f'val_dataloader.dataset.data_root={scenes_root}/',
               f'test_dataloader.dataset.data_root={scenes_root}/',
               'val_dataloader.dataset.indices=4', 'test_dataloader.dataset.indices=4',
               'default_hooks.logger.interval=1']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    for evaluator in ('val_evaluator', 'test_evaluator'):
        if cfg[evaluator].get('type') == 'CocoMetric':
            options.append(f'{evaluator}.ann_file={scenes_root}/annotations/'
                           'instances_val2017.json')
    if cfg.train_cfg.get('type') == 'EpochBasedTrainLoop':
        options += ['train_dataloader.dataset.indices=4', 'train_cfg.max_epochs=1',
                    'train_cfg.val_interval=1']
    else:
        options += ['train_dataloader.batch_size=2', 'train_cfg.max_iters=2',
                    'train_cfg.val_interval=2']
    return options


def with_record_hook(twin: str, out_dir, record: str) -> str:
    """A child config of ``twin`` that adds ``RecordStateHook(out_file=record)``."""
    cfg = Config.fromfile(twin)
    imports = list(cfg.get('custom_imports', {}).get('imports', [])) + ['record_state_hook']
    hooks = list(cfg.get('custom_hooks', [])) + [dict(type='RecordStateHook', out_file=record)]
    path = osp.join(str(out_dir), osp.basename(twin))
    with open(path, 'w') as f:
        f.write(f'_base_ = {twin!r}\n'
                f'custom_imports = dict(imports={imports!r}, allow_failed_imports=False)\n'
                f'custom_hooks = {hooks!r}\n')
    return path


def launch_twin(twin, pretrain, work_dir, scenes_root, tmp_path, *, slurm=None):
    """Run the twin's launcher (dist_train.sh, or slurm_train.sh with ``slurm=(env, partition,
    job)``); return (result, start state, converted weights, pretraining backbone)."""
    lib = 'mmdetection' if f'/{DET}/' in twin else 'mmsegmentation'
    record = str(tmp_path / 'start_state.pth')
    config = with_record_hook(twin, tmp_path, record)
    options = tiny_options(Config.fromfile(twin), scenes_root)
    if slurm is None:
        cmd = ['bash', f'tools/benchmarks/{lib}/dist_train.sh', config, str(pretrain), '1']
        env = launcher_env(WORK_DIR=work_dir)
    else:
        extra, partition, job = slurm
        cmd = ['bash', f'tools/benchmarks/{lib}/slurm_train.sh', partition, job, config,
               str(pretrain)]
        env = launcher_env(WORK_DIR=work_dir, **extra)
        env.pop('MASTER_ADDR', None)  # found through (the stand-in) scontrol, as on a cluster
    result = run(cmd + ['--cfg-options', *options], env=env)
    start = torch.load(record, map_location='cpu', weights_only=True)
    converted = torch.load(osp.join(work_dir, 'backbone.pth'), map_location='cpu',
                           weights_only=True)['state_dict']
    ckpt = open(osp.join(str(pretrain), 'last_checkpoint')).read().strip()
    source = torch.load(ckpt, map_location='cpu', weights_only=True)['state_dict']
    backbone = {k[len('backbone.'):]: v for k, v in source.items() if k.startswith('backbone.')}
    return result, start, converted, backbone


def assert_started_from_the_converted_weights(twin, result, start, converted, backbone):
    # the converted file is the pretraining's online backbone, exactly
    assert set(converted) == set(backbone)
    for key, value in converted.items():
        assert torch.equal(value, backbone[key]), f'converted {key} differs from the checkpoint'
    state = start['state_dict']
    assert start['iter'] == 0
    c4 = '-c4' in osp.basename(twin)
    homes = {}
    for key in converted:
        if c4 and key.startswith('layer4.'):
            homes[key] = 'roi_head.shared_head.' + key
        else:
            homes[key] = 'backbone.' + key
    for key, home in homes.items():
        assert home in state, f'{home} (from {key}) not in the fine-tuned model'
        assert torch.equal(state[home], converted[key]), \
            f'{home} did not start from the converted {key}'
    if c4:  # the backbone stops at res4; only the head's extra norm starts fresh
        assert not any(k.startswith('backbone.layer4.') for k in state)
        fresh = [k for k in state if k.startswith('roi_head.shared_head.')
                 and k not in homes.values()]
        assert fresh and all(k.startswith('roi_head.shared_head.norm.') for k in fresh), fresh
    loads = re.findall(r'CheckedPretrained: loaded (\d+) keys .* into (\w+)', result.log)
    assert len(loads) == (2 if c4 else 1), loads
    assert sum(int(n) for n, _ in loads) == len(converted)


def assert_trained_and_evaluated(twin, work_dir, result):
    name = osp.basename(twin)
    checkpoints = glob.glob(osp.join(work_dir, '*.pth'))
    assert any(re.search(r'(iter_2|epoch_1)\.pth$', p) for p in checkpoints), checkpoints
    metrics = (['mIoU', 'mAcc', 'aAcc'] if name.startswith('ps') else
               ['pascal_voc/mAP'] if name.startswith('faster-rcnn') else
               ['coco/bbox_mAP', 'coco/segm_mAP'])
    for metric in metrics:
        assert re.search(re.escape(metric) + r'\s*:\s*-?[\d.]+', result.log), \
            f'{metric} not logged by the {name} run'
