"""Every downstream scenes twin goes through its launcher from a real pretraining work_dir.

`bash tools/benchmarks/{mmdetection,mmsegmentation}/dist_train.sh TWIN PRETRAIN 1` converts the
session's MoCo v2 scenes run (tests/test_docs/conftest.py), checks it against every module of
the twin that loads it, and fine-tunes a few iterations. The twin is launched through a
one-hook child config (the twin plus ``RecordStateHook``, which saves the model state the
training loop starts from), so the test compares, key by key, the fine-tuning's starting
backbone, and for the C4 twins its res5 head (``roi_head.shared_head``), with the converted
file and with the pretraining checkpoint.
"""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

import mls_mm  # noqa: F401 - safe globals for torch.load(weights_only=True)
from mls_mm.transfer.init_targets import checked_pretrained_keys, init_cfg_options

from helpers.launch_helpers import REPO
from helpers.twin_launch import (DET, SEG, assert_started_from_the_converted_weights,
                                 assert_trained_and_evaluated, launch_twin)

TWINS = sorted(glob.glob(osp.join(REPO, DET, 'scenes', '*.py'))) + \
    sorted(glob.glob(osp.join(REPO, SEG, 'scenes', '*.py')))
TWIN_NAMES = [osp.basename(p) for p in TWINS]
CONFIGS = sorted(glob.glob(osp.join(REPO, DET, '*', '*.py')) +
                 glob.glob(osp.join(REPO, SEG, '*', '*.py')))
CONFIGS = [p for p in CONFIGS if '/_base_/' not in p]


@pytest.mark.parametrize('twin', TWINS, ids=TWIN_NAMES)
def test_twin_through_its_launcher(twin, pretrain_work_dir, scenes_root, tmp_path):
    """`bash tools/benchmarks/<lib>/dist_train.sh TWIN PRETRAIN_WORK_DIR 1`: converted, every
    CheckedPretrained module starts from the converted file, trains, evaluates."""
    pretrain, _ = pretrain_work_dir
    work_dir = str(tmp_path / 'ft')
    result, start, converted, backbone = launch_twin(twin, pretrain, work_dir, scenes_root,
                                                     tmp_path)
    assert_started_from_the_converted_weights(twin, result, start, converted, backbone)
    assert_trained_and_evaluated(twin, work_dir, result)


@pytest.mark.parametrize('config', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_launcher_options_fill_every_checked_pretrained_module(config):
    """The --cfg-options the launchers pass leave no CheckedPretrained init_cfg at
    checkpoint='' in any transfer config (COCO / VOC / Cityscapes and the twins): the C4 res5
    head included."""
    options = init_cfg_options(config, 'work_dirs/x/backbone.pth')
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(dict(option.split('=', 1) for option in options))
    keys = checked_pretrained_keys(config)
    assert ('model.roi_head.shared_head' in keys) == ('-c4' in osp.basename(config))
    empty = []

    def visit(node, key):
        if isinstance(node, dict):
            init = node.get('init_cfg')
            if isinstance(init, dict) and init.get('type') == 'CheckedPretrained':
                if init.get('checkpoint') != 'work_dirs/x/backbone.pth' or init.get('prefix'):
                    empty.append(key)
            for child_key, child in node.items():
                visit(child, f'{key}.{child_key}')
        elif isinstance(node, (list, tuple)):  # e.g. cascade heads
            for index, child in enumerate(node):
                visit(child, f'{key}.{index}')

    visit(cfg.model, 'model')
    assert not empty, f'{config}: these modules would not load the converted file: {empty}'


def test_init_options_need_a_checked_pretrained_module(tmp_path, capsys):
    """A config with no CheckedPretrained init_cfg gets no options but an error naming it;
    extract_backbone.py --cfg-options-out without --config is refused before reading."""
    import importlib.util

    from mls_mm.transfer import init_targets
    config = tmp_path / 'plain.py'
    config.write_text("default_scope = 'mmdet'\n"
                      "model = dict(backbone=dict(type='ResNet', depth=18))\n")
    assert init_targets.main([str(config), 'b.pth']) == 1
    assert f'{config}: no module of model has init_cfg type CheckedPretrained' in \
        capsys.readouterr().err
    spec = importlib.util.spec_from_file_location(
        'extract_backbone', osp.join(REPO, 'tools/model_converters/extract_backbone.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'opts.txt'
    assert tool.main([str(tmp_path / 'none.pth'), str(tmp_path / 'b.pth'),
                      '--cfg-options-out', str(out)]) == 1
    assert '--cfg-options-out needs --config' in capsys.readouterr().err
    assert not out.exists()
