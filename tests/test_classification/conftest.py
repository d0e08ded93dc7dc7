"""One real scenes pretraining run for the fine-tuning twin's launcher test."""
import os.path as osp

import pytest

from helpers.launch_helpers import PRETRAIN_CONFIG, pretrain_options, run


@pytest.fixture(scope='session')
def cls_pretrain_work_dir(scenes_root, tmp_path_factory):
    """A real MoCo v2 scenes pretraining work_dir (1 epoch on the fixture scenes: epoch_1.pth,
    last_checkpoint, logs), made by `bash tools/dist_train.sh CONFIG 1`."""
    work_dir = str(tmp_path_factory.mktemp('cls_pretrain') /
                   'mocov2_resnet18_1xb32-coslr-10e_scenes')
    result = run(['bash', 'tools/dist_train.sh', PRETRAIN_CONFIG, '1', '--work-dir', work_dir,
                  '--cfg-options', *pretrain_options(scenes_root)])
    assert osp.isfile(osp.join(work_dir, 'last_checkpoint')), result.log[-3000:]
    return work_dir
