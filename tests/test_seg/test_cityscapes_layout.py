"""The real Cityscapes PSPNet / PSANet configs read mmseg's Cityscapes layout and start from a
checked R50 checkpoint (a forward pass at 512 x 1024 is left to the scenes twins)."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.utils import import_modules_from_strings
from mmpretrain.models import ResNet
from PIL import Image

import mls_mm  # noqa: F401

CONFIGS = 'configs/benchmarks/mmsegmentation/cityscapes'


def _cityscapes_layout(root, num=2):
    """leftImg8bit/train/<city>/<stem>_leftImg8bit.png + gtFine/train/..._labelTrainIds.png."""
    rng = np.random.default_rng(0)
    for sub in ('leftImg8bit/train/aachen', 'gtFine/train/aachen'):
        os.makedirs(osp.join(root, sub))
    for i in range(num):
        stem = f'aachen_{i:06d}_000019'
        Image.fromarray(rng.integers(0, 255, (256, 512, 3), dtype=np.uint8)).save(
            osp.join(root, 'leftImg8bit/train/aachen', f'{stem}_leftImg8bit.png'))
        Image.fromarray(rng.integers(0, 19, (256, 512), dtype=np.uint8)).save(
            osp.join(root, 'gtFine/train/aachen', f'{stem}_gtFine_labelTrainIds.png'))


@pytest.mark.parametrize('name', ['pspnet_r50b-d8_4xb2-40k_cityscapes-512x1024.py',
                                  'psanet_r50b-d8_4xb2-40k_cityscapes-512x1024.py'])
def test_cityscapes_config_reads_the_layout_and_loads_the_checkpoint(name, repo_root, tmp_path):
    from mmseg.registry import DATASETS, MODELS
    from mmseg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(repo_root, CONFIGS, name))
    import_modules_from_strings(**cfg.custom_imports)
    root = str(tmp_path / 'cityscapes')
    _cityscapes_layout(root)
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=root))
    assert len(dataset) == 2
    sample = dataset[0]
    assert tuple(sample['inputs'].shape[1:]) == (512, 1024)   # the config's crop ran
    assert sample['data_samples'].gt_sem_seg.data.max() < 255

    torch.manual_seed(0)
    weights = ResNet(depth=50).state_dict()
    checkpoint = str(tmp_path / 'r50.pth')
    torch.save({'state_dict': {'backbone.' + k: v for k, v in weights.items()}}, checkpoint)
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    segmentor = MODELS.build(cfg.model)
    segmentor.init_weights()
    state = segmentor.state_dict()
    for key in ('conv1.weight', 'layer2.3.conv2.weight', 'layer4.2.conv3.weight'):
        assert torch.equal(state['backbone.' + key], weights[key]), key
