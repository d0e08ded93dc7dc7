"""tools/analysis_tools/extract_features.py / mls_mm.apis.extract_features: the features equal
the backbone applied by hand to the same images (decoded, resized, normalised here
independently), pooled; batch size does not change them; the sources and the errors."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.models.backbones import ResNet
from mmpretrain.registry import MODELS
from PIL import Image

from mls_mm.apis import extract_features
from tools.analysis_tools import extract_features as tool

CONFIG = 'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py'
MEAN = np.array([123.675, 116.28, 103.53])   # RGB, as the config's data_preprocessor says
STD = np.array([58.395, 57.12, 57.375])


@pytest.fixture(scope='module')
def checkpoint(repo_root, tmp_path_factory):
    """A MoCo v2 scenes model whose BN statistics are not the identity init (so a backbone that
    ignored the checkpoint would give other features), saved as training saves it."""
    cfg = Config.fromfile(osp.join(repo_root, CONFIG))
    cfg.model.queue_len = 32
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    for module in model.backbone.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    path = str(tmp_path_factory.mktemp('ckpt') / 'mocov2.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def _by_hand(checkpoint, paths, image_size=None):
    """ResNet-18 loaded from the checkpoint's backbone.* keys, on images read with PIL."""
    state = torch.load(checkpoint, map_location='cpu', weights_only=True)['state_dict']
    backbone = ResNet(depth=18, stem_channels=32, base_channels=32)  # the scenes twins' width
    backbone.load_state_dict({k[9:]: v for k, v in state.items() if k.startswith('backbone.')})
    backbone.eval()
    rows = []
    for path in paths:
        img = Image.open(path).convert('RGB')
        if image_size is not None:
            img = img.resize((image_size, image_size), Image.BILINEAR)
        x = (np.asarray(img, dtype=np.float64) - MEAN) / STD
        x = torch.from_numpy(x).float().permute(2, 0, 1)[None]
        with torch.no_grad():
            rows.append(backbone(x)[-1].mean(dim=(2, 3))[0])
    return torch.stack(rows)


def _images(scenes_root):
    return sorted(glob.glob(osp.join(scenes_root, 'val2017', '*.jpg')))


def test_npy_features_equal_the_backbone_by_hand(repo_root, scenes_root, checkpoint, tmp_path):
    out = str(tmp_path / 'feats.npy')
    tool.main([osp.join(repo_root, CONFIG), checkpoint, '--images',
               osp.join(scenes_root, 'val2017'), '--out', out, '--batch-size', '7'])
    feats = np.load(out)
    with open(str(tmp_path / 'feats.paths.txt')) as f:
        paths = f.read().splitlines()
    assert paths == _images(scenes_root) and len(paths) == 16
    assert feats.shape == (16, 256) and feats.dtype == np.float32
    expected = _by_hand(checkpoint, paths)
    assert torch.allclose(torch.from_numpy(feats), expected, atol=1e-5, rtol=0)
    # and not the features of a freshly initialised backbone
    fresh = str(tmp_path / 'fresh.pth')
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in ResNet(depth=18, stem_channels=32, base_channels=32).state_dict().items()}}, fresh)
    assert not torch.allclose(_by_hand(fresh, paths[:2]), expected[:2], atol=1e-3)


def test_pth_features_resized_and_batch_size_independent(repo_root, scenes_root, checkpoint,
                                                         tmp_path):
    out = str(tmp_path / 'feats.pth')
    tool.main([osp.join(repo_root, CONFIG), checkpoint, '--images',
               osp.join(scenes_root, 'val2017'), '--out', out, '--image-size', '48',
               '--batch-size', '1'])
    saved = torch.load(out, map_location='cpu', weights_only=True)
    assert saved['paths'] == _images(scenes_root)
    expected = _by_hand(checkpoint, saved['paths'], image_size=48)
    assert torch.allclose(saved['features'], expected, atol=1e-5, rtol=0)

    feats7, paths7 = extract_features(osp.join(repo_root, CONFIG), checkpoint,
                                      osp.join(scenes_root, 'val2017'), batch_size=7,
                                      image_size=48, progress=False)
    assert paths7 == saved['paths']
    assert torch.allclose(feats7, saved['features'], atol=1e-6, rtol=0)
    assert (feats7 - saved['features']).abs().max() < 1e-6


def test_dataset_source_gives_the_features_of_its_images(repo_root, scenes_root, checkpoint,
                                                        tmp_path):
    out = str(tmp_path / 'train.pth')
    tool.main([osp.join(repo_root, CONFIG), checkpoint, '--dataset', 'train_dataloader.dataset',
               '--out', out, '--batch-size', '2', '--cfg-options',
               f'train_dataloader.dataset.data_root={scenes_root}',
               'train_dataloader.dataset.indices=3'])
    saved = torch.load(out, map_location='cpu', weights_only=True)
    feats, paths = saved['features'], saved['paths']
    assert len(paths) == 3 and all(p.startswith(osp.join(scenes_root, 'train2017')) for p in paths)
    assert torch.allclose(feats, _by_hand(checkpoint, paths), atol=1e-5, rtol=0)
    with pytest.raises(KeyError, match="--dataset val_dataloader.dataset: the config has no "
                                       "'val_dataloader'"):
        tool.main([osp.join(repo_root, CONFIG), checkpoint, '--dataset',
                   'val_dataloader.dataset', '--out', out])


@pytest.mark.parametrize('case, error, message', [
    ('folder', FileNotFoundError, 'image folder not found: .*nowhere'),
    ('empty', ValueError, 'no images .* under'),
    ('checkpoint', FileNotFoundError, 'checkpoint not found: .*missing.pth'),
    ('config', FileNotFoundError, 'config file not found: .*missing.py'),
    ('suffix', SystemExit, None),
])
def test_errors_name_the_problem(repo_root, scenes_root, checkpoint, tmp_path, capsys, case,
                                 error, message):
    config, ckpt = osp.join(repo_root, CONFIG), checkpoint
    images, out = osp.join(scenes_root, 'val2017'), str(tmp_path / 'f.npy')
    if case == 'folder':
        images = str(tmp_path / 'nowhere')
    elif case == 'empty':
        images = str(tmp_path)
        (tmp_path / 'notes.txt').write_text('not an image')
    elif case == 'checkpoint':
        ckpt = str(tmp_path / 'missing.pth')
    elif case == 'config':
        config = str(tmp_path / 'missing.py')
    elif case == 'suffix':
        out = str(tmp_path / 'f.csv')
    with pytest.raises(error, match=message) as info:
        tool.main([config, ckpt, '--images', images, '--out', out])
    if case == 'suffix':
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert '--out' in err and 'f.csv' in err and '.npy or .pth' in err, err
    assert not osp.exists(out)
