"""The COCO "1x" transfer configs run detectron2's 1x, as MoCo's protocol (and so MLS Tables 1-2)
did: 90k iterations at 16 images, lr steps at 60k and 80k, 1000 linear warm-up iterations from
0.001 x lr, and not mmdet's 12 epochs with 500 warm-up iterations."""
import os.path as osp

import pytest
from mmengine.config import Config


@pytest.mark.parametrize('config', ['mask-rcnn_r50_fpn-syncbn_ms-1x_coco.py',
                                    'mask-rcnn_r50-c4-syncbn_ms-1x_coco.py'])
def test_coco_1x_is_detectron2s_iteration_schedule(config, repo_root):
    cfg = Config.fromfile(osp.join(repo_root, 'configs/benchmarks/mmdetection/coco', config))
    assert cfg.train_cfg.type == 'IterBasedTrainLoop' and 'max_epochs' not in cfg.train_cfg
    assert cfg.train_cfg.max_iters == 90000
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    assert cfg.train_dataloader.batch_size * 8 == 16          # 8 GPUs x 2 images
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.by_epoch, warmup.end, warmup.start_factor) == (
        'LinearLR', False, 1000, 0.001)
    assert (steps.type, steps.by_epoch, steps.milestones, steps.gamma) == (
        'MultiStepLR', False, [60000, 80000], 0.1)
    assert cfg.optim_wrapper.optimizer.lr == 0.02
    assert not cfg.default_hooks.checkpoint.by_epoch and not cfg.log_processor.by_epoch
