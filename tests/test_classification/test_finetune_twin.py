"""The scenes fine-tuning twin through its launcher, from a real pretraining work_dir.

`bash tools/benchmarks/mmpretrain/dist_train.sh TWIN PRETRAIN 1` converts the session's
MoCo v2 scenes run, checks it against the twin, fine-tunes one epoch of the fixture scenes
(2 iterations) and evaluates top-1 on val. The twin runs through a child config with
``RecordStateHook`` (the state the training loop starts from). Then `tools/test.py --out`
evaluates the fine-tuned checkpoint again and dumps its predictions: top-1 recounted from
them, with labels read again from the image entries of the instances file, must equal the
logged one, and the default table of tools/analysis_tools/collect_results.py shows it
(finetune top-1).
"""
import glob
import json
import os.path as osp
import re

import numpy as np
import torch
from mmengine.fileio import load

import mls_mm  # noqa: F401 - safe globals for torch.load(weights_only=True)
from mls_mm.datasets import SCENE_TYPES

from helpers.launch_helpers import launcher_env, run
from helpers.twin_launch import with_record_hook
from tools.analysis_tools import collect_results as cr

TWIN = 'configs/benchmarks/classification/scenes/resnet18_finetune-1xb32-coslr-4e_scenes-64px.py'


def _options(scenes_root):
    options = ['default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1',
               'train_cfg.max_epochs=1', 'train_cfg.val_interval=1']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.dataset.data_root={scenes_root}/', f'{loader}.num_workers=0',
                    f'{loader}.persistent_workers=False']
    return options


def _scene_types(ann_file):
    """Image file name -> index of its scene type (SCENE_TYPES order), from the image entries."""
    with open(ann_file) as f:
        coco = json.load(f)
    order = list(SCENE_TYPES)
    return {img['file_name']: order.index(img['scene_type']) for img in coco['images']}


def test_twin_through_its_launcher_and_top1_recounted(cls_pretrain_work_dir, scenes_root,
                                                      repo_root, tmp_path):
    work_dir = str(tmp_path / 'main' / 'finetune' / 'mls')  # where the default table looks
    record = str(tmp_path / 'start_state.pth')
    config = with_record_hook(osp.join(repo_root, TWIN), tmp_path, record)
    result = run(['bash', 'tools/benchmarks/mmpretrain/dist_train.sh', config,
                  cls_pretrain_work_dir, '1', '--cfg-options', *_options(scenes_root)],
                 env=launcher_env(WORK_DIR=work_dir))

    # started from the converted file, which is the pretraining's online backbone, exactly
    converted = torch.load(osp.join(work_dir, 'backbone.pth'), map_location='cpu',
                           weights_only=True)['state_dict']
    ckpt = open(osp.join(cls_pretrain_work_dir, 'last_checkpoint')).read().strip()
    source = torch.load(ckpt, map_location='cpu', weights_only=True)['state_dict']
    backbone = {k[len('backbone.'):]: v for k, v in source.items() if k.startswith('backbone.')}
    assert set(converted) == set(backbone) and len(converted) > 100
    start = torch.load(record, map_location='cpu', weights_only=True)
    assert start['iter'] == 0
    for key, value in backbone.items():
        assert torch.equal(converted[key], value), key
        assert torch.equal(start['state_dict']['backbone.' + key], value), key
    loads = re.findall(r'CheckedPretrained: loaded (\d+) keys', result.log)
    assert loads == [str(len(converted))]

    # trained (the backbone moved), and evaluated once: top-1 in the log
    final = torch.load(osp.join(work_dir, 'epoch_1.pth'), map_location='cpu',
                       weights_only=True)['state_dict']
    assert not torch.equal(final['backbone.conv1.weight'], backbone['conv1.weight'])
    scalars = glob.glob(osp.join(work_dir, '2*', 'vis_data', 'scalars.json'))
    records = [json.loads(line) for line in open(scalars[-1])]
    train_top1 = [r['accuracy/top1'] for r in records if 'accuracy/top1' in r]
    assert len(train_top1) == 1

    # tools/test.py --out: recount top-1 from the dumped predictions
    preds_file = str(tmp_path / 'preds.pkl')
    test_dir = str(tmp_path / 'test')
    run(['.venv/bin/python' if osp.exists(osp.join(repo_root, '.venv/bin/python'))
         else 'python', 'tools/test.py', TWIN, osp.join(work_dir, 'epoch_1.pth'),
         '--work-dir', test_dir, '--out', preds_file, '--cfg-options', *_options(scenes_root)])
    preds = load(preds_file)
    truth = _scene_types(osp.join(scenes_root, 'annotations/instances_val2017.json'))
    assert len(preds) == len(truth) == 16  # the whole val split, once
    gt = np.array([int(p['gt_label']) for p in preds])
    pred = np.array([int(p['pred_label']) for p in preds])
    assert list(gt) == [truth[osp.basename(p['img_path'])] for p in preds]
    assert np.array_equal(pred, np.array([int(p['pred_score'].argmax()) for p in preds]))
    recount = 100.0 * float((gt == pred).mean())
    test_json = glob.glob(osp.join(test_dir, '2*', '2*.json'))
    logged = json.load(open(test_json[-1]))['accuracy/top1']
    assert abs(logged - recount) < 1e-6, (logged, recount)
    assert abs(train_top1[0] - recount) < 1e-6  # same checkpoint, same val set

    # the default benchmark table reads the run: finetune top-1 of the MLS row
    table = cr.collect(cr.load_spec(), str(tmp_path / 'main'))
    row = next(r for r in table['rows'] if r['name'] == 'mls')
    assert row['cells']['finetune top-1'] == f'{recount:.2f}'
    assert dict(Task='Image Classification', Dataset=osp.basename(scenes_root.rstrip('/')),
                Metrics={'top-1': round(recount, 4)}) in row['results']
    others = [r['cells']['finetune top-1'] for r in table['rows'] if r['name'] != 'mls']
    assert set(others) == {'missing'}
