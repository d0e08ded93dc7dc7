import os.path as osp
import subprocess
import sys

import pytest

from mls_mm.utils import check_queue_config, load_config

CONFIG = 'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py'


def test_queue_length_must_hold_whole_global_batches(repo_root):
    cfg = load_config(osp.join(repo_root, CONFIG))
    check_queue_config(cfg, world_size=1)  # 256 = 8 x 32
    with pytest.raises(ValueError, match='model.queue_len=256.*global batch size 96'):
        check_queue_config(cfg, world_size=3)
    cfg.model.queue_len = 16
    with pytest.raises(ValueError, match='model.queue_len=16'):
        check_queue_config(cfg, world_size=1)


def test_missing_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py'):
        load_config(str(tmp_path / 'nope.py'))


def test_misspelt_model_key_is_named(repo_root):
    from mmpretrain.registry import MODELS
    import mls_mm  # noqa: F401
    cfg = load_config(osp.join(repo_root, CONFIG))
    cfg.model['queue_lenght'] = cfg.model.pop('queue_len')
    with pytest.raises(TypeError, match='queue_lenght'):
        MODELS.build(cfg.model)


def test_stack_check_passes(repo_root):
    """nms and RoIAlign from mmcv's compiled CPU ops, and every pinned version."""
    out = subprocess.run([sys.executable, osp.join(repo_root, 'tools/check_stack.py')],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert 'nms and RoIAlign run on the CPU' in out.stdout
