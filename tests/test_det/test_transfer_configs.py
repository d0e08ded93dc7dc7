"""Converted weights are checked against every module of a transfer config that loads them."""
import glob
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS as DET_MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmpretrain.models import ResNet

import mls_mm  # noqa: F401
from mls_mm.transfer import KeyMismatchError
from mls_mm.transfer.convert import check_against_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET_CONFIGS = sorted(c for c in glob.glob(osp.join(ROOT, 'configs/benchmarks/mmdetection/*/*.py'))
                     if '/_base_/' not in c)
C4_TWIN = osp.join(ROOT, 'configs/benchmarks/mmdetection/scenes/mask-rcnn_r18-c4_1xb4-3e_scenes.py')


@pytest.fixture(scope='module')
def resnet_weights():
    torch.manual_seed(0)
    # ResNet-18: the half-width one of the scenes twins (configs/_base_/scenes_backbone.py)
    return {18: ResNet(depth=18, stem_channels=32, base_channels=32).state_dict(),
            50: ResNet(depth=50).state_dict()}


@pytest.mark.parametrize('config', DET_CONFIGS, ids=[osp.basename(c) for c in DET_CONFIGS])
def test_backbone_weights_fit_every_transfer_config(config, resnet_weights):
    weights = resnet_weights[18 if '_r18' in config else 50]
    checked = check_against_config(weights, 'mmdet', config, 'pretrain.pth')
    assert 'model.backbone' in checked
    assert ('model.roi_head.shared_head' in checked) == ('-c4' in config)


def test_c4_res5_comes_from_layer4_and_is_required(resnet_weights):
    weights = {k: v for k, v in resnet_weights[18].items() if k != 'layer4.1.bn2.weight'}
    with pytest.raises(KeyMismatchError, match=r'shared_head[\s\S]*layer4\.1\.bn2\.weight'):
        check_against_config(weights, 'mmdet', C4_TWIN, 'pretrain.pth')


def test_a_key_no_module_loads_is_an_error(resnet_weights):
    weights = dict(resnet_weights[18], **{'layer5.0.conv1.weight': torch.zeros(1)})
    with pytest.raises(KeyMismatchError, match='layer5.0.conv1.weight'):
        check_against_config(weights, 'mmdet', C4_TWIN, 'pretrain.pth')


def test_c4_detector_starts_from_the_checkpoint(resnet_weights, tmp_path):
    """Backbone res2-res4 and the ROI head's res5 equal the checkpoint after init_weights."""
    register_all_modules()
    torch.manual_seed(1)
    source = {k: torch.randn_like(v) if v.is_floating_point() else v
              for k, v in resnet_weights[18].items()}
    path = str(tmp_path / 'pretrain.pth')
    torch.save({'state_dict': {'backbone.' + k: v for k, v in source.items()}}, path)
    cfg = Config.fromfile(C4_TWIN)
    cfg.model.backbone.init_cfg.checkpoint = path
    cfg.model.roi_head.shared_head.init_cfg.checkpoint = path
    detector = DET_MODELS.build(cfg.model)
    detector.init_weights()
    state = detector.state_dict()
    for key, value in source.items():
        target = ('roi_head.shared_head.' if key.startswith('layer4.') else 'backbone.') + key
        torch.testing.assert_close(state[target], value, rtol=0, atol=0, msg=target)
