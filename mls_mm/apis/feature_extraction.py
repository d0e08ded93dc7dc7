"""Globally average-pooled backbone features of a pretrained model, for a folder of images or a
dataset config (``tools/analysis_tools/extract_features.py`` is the command line of it).

    >>> from mls_mm.apis import extract_features
    >>> feats, paths = extract_features('configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py',
    ...                                 'work_dirs/.../epoch_10.pth', 'data/scenes/val2017')
    >>> feats.shape                                  # (N, C): 256 for the scenes half-width ResNet-18
    torch.Size([256, 256])

Each image is decoded as in training (``LoadImageFromFileStrict``: pillow, BGR), optionally
resized to ``image_size`` x ``image_size`` (mmcv's pillow bilinear ``Resize``), normalised by
the config's ``data_preprocessor`` (mean / std, BGR -> RGB), and passed through the
checkpoint's backbone in eval mode; the last backbone output is averaged over its spatial
positions. Only the backbone (and the preprocessor) is built, so a MoCo queue or an MLS
dictionary costs nothing here.
"""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.transforms import Compose
from mmengine.config import Config, ConfigDict
from mmengine.runner import CheckpointLoader
from mmengine.utils import ProgressBar

#: what a folder source contributes (case-insensitive)
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: what :func:`save_features` writes
OUT_SUFFIXES = ('.npy', '.pth')

ConfigLike = Union[str, Config]
SourceLike = Union[str, dict, Sequence[str]]


def load_cfg(config: ConfigLike, cfg_options: Optional[dict] = None) -> Config:
    """The config (its ``custom_imports`` imported) with ``cfg_options`` merged in."""
    if isinstance(config, Config):
        cfg = config.copy()
    else:
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        cfg = Config.fromfile(config, import_custom_modules=True)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def list_images(folder: str) -> List[str]:
    """The image files under ``folder`` (recursively, sorted), suffixes :data:`IMAGE_SUFFIXES`."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'image folder not found: {folder}')
    paths = sorted(osp.join(root, name) for root, _, names in os.walk(folder) for name in names
                   if name.lower().endswith(IMAGE_SUFFIXES))
    if not paths:
        raise ValueError(f'no images ({", ".join(IMAGE_SUFFIXES)}) under {folder}')
    return paths


def dataset_images(dataset_cfg: dict) -> List[str]:
    """The ``img_path`` of every sample of a dataset config (its own pipeline is not used)."""
    from mmpretrain.registry import DATASETS
    dataset_cfg = dict(dataset_cfg, pipeline=[])
    dataset = DATASETS.build(dataset_cfg)
    paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    if not paths:
        raise ValueError(f'dataset {dataset_cfg.get("type")} at '
                         f'{dataset_cfg.get("data_root")} has no samples')
    return paths


def resolve_source(source: SourceLike) -> List[str]:
    """Image paths of a folder, of a dataset config (dict) or of an explicit list."""
    if isinstance(source, (dict, ConfigDict)):
        return dataset_images(source)
    if isinstance(source, str):
        return list_images(source)
    paths = list(source)
    missing = [p for p in paths if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(f'{len(missing)} image file(s) not found, e.g. {missing[0]}')
    if not paths:
        raise ValueError('no images given')
    return paths


def build_encoder(cfg: Config, checkpoint: str, device: str = 'cpu'):
    """``(backbone, data_preprocessor)`` of ``cfg.model``, the backbone loaded from
    ``checkpoint`` (a pretraining checkpoint with ``backbone.*`` keys, or a backbone-only
    one), both in eval mode on ``device``. ``checkpoint`` may be anything mmengine's
    ``CheckpointLoader`` reads (a path, ``http(s)://``, ...)."""
    from mmpretrain.registry import MODELS
    import mls_mm  # noqa: F401 - the plugin's modules and the checkpoint compat
    if '://' not in checkpoint and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    backbone = MODELS.build(cfg.model.backbone)
    preprocessor_cfg = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor')
    if preprocessor_cfg is None:
        raise ValueError('the config has neither model.data_preprocessor nor data_preprocessor '
                         '(mean / std of the pretraining)')
    preprocessor = MODELS.build(preprocessor_cfg)

    ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    if any(k.startswith('backbone.') for k in state):
        state = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    missing, unexpected = backbone.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise KeyError(f'{checkpoint} does not match the backbone of the config '
                       f'({cfg.model.backbone.get("type")}): {len(missing)} missing keys '
                       f'{missing[:3]}, {len(unexpected)} unexpected keys {unexpected[:3]}')
    backbone.to(device)
    preprocessor.to(device)
    backbone.eval()  # (mmpretrain's ResNet.train() returns None, so no chaining)
    preprocessor.eval()
    return backbone, preprocessor


def image_pipeline(image_size: Optional[int] = None) -> Compose:
    """Decode (pillow, BGR, as in training), resize to a square if asked, pack."""
    steps = [dict(type='LoadImageFromFileStrict')]
    if image_size is not None:
        steps.append(dict(type='Resize', scale=(image_size, image_size), backend='pillow'))
    steps.append(dict(type='PackInputs'))
    from mmpretrain.registry import TRANSFORMS
    return Compose([TRANSFORMS.build(t) for t in steps])


@torch.no_grad()
def pooled_features(backbone, preprocessor, images: torch.Tensor) -> torch.Tensor:
    """(B, C) spatial means of the last backbone output for a (B, 3, H, W) uint8 BGR batch."""
    inputs = preprocessor(dict(inputs=[images], data_samples=None), False)['inputs']
    inputs = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    out = backbone(inputs)
    out = out[-1] if isinstance(out, (list, tuple)) else out
    if out.dim() == 4:
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
    return out.float().cpu()


def extract_features(config: ConfigLike, checkpoint: str, source: SourceLike,
                     batch_size: int = 64, device: str = 'cpu',
                     image_size: Optional[int] = None, cfg_options: Optional[dict] = None,
                     progress: bool = True) -> Tuple[torch.Tensor, List[str]]:
    """Globally average-pooled backbone features of ``source``'s images.

    Args:
        config: The pretraining config (path or Config): its ``model.backbone`` and
            ``data_preprocessor``.
        checkpoint: Its checkpoint (path or URL).
        source: A folder (images found recursively), a dataset config dict (e.g.
            ``cfg.train_dataloader.dataset``: its ``img_path`` list), or a list of paths.
        batch_size: Images per forward pass; the features do not depend on it.
        device: ``'cpu'``, ``'cuda'``, ...
        image_size: Resize every image to this square; None keeps each image's size (then
            all images of a batch must have the same size).
        cfg_options: Overrides merged into the config.
        progress: Show mmengine's progress bar.

    Returns:
        ``(features, paths)``: an (N, C) float32 tensor and the N image paths, in the order
        of ``source`` (sorted for a folder).
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    cfg = load_cfg(config, cfg_options)
    paths = resolve_source(source)
    backbone, preprocessor = build_encoder(cfg, checkpoint, device)
    pipeline = image_pipeline(image_size)
    bar = ProgressBar(len(paths)) if progress else None
    feats = []
    for start in range(0, len(paths), batch_size):
        batch = paths[start:start + batch_size]
        images = [pipeline(dict(img_path=p))['inputs'] for p in batch]
        sizes = {tuple(im.shape[1:]) for im in images}
        if len(sizes) > 1:
            raise ValueError(f'images of one batch differ in size ({sorted(sizes)}, e.g. '
                             f'{batch[0]}): pass image_size (--image-size) to resize them')
        feats.append(pooled_features(backbone, preprocessor, torch.stack(images)))
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        print()
    return torch.cat(feats), paths


def paths_file(out: str) -> str:
    """Where :func:`save_features` writes the image paths next to an ``.npy``."""
    return osp.splitext(out)[0] + '.paths.txt'


def save_features(out: str, feats: torch.Tensor, paths: Sequence[str]) -> List[str]:
    """Write ``feats`` and ``paths``; returns the files written.

    ``.pth``: ``torch.save({'features': (N, C) tensor, 'paths': [...]})``. ``.npy``: the
    (N, C) float32 array, and the paths one per line in ``<out without .npy>.paths.txt``.
    """
    suffix = osp.splitext(out)[1].lower()
    if suffix not in OUT_SUFFIXES:
        raise ValueError(f'output {out}: the features are written as '
                         f'{" or ".join(OUT_SUFFIXES)}, not {suffix or "a file without suffix"}')
    if len(feats) != len(paths):
        raise ValueError(f'{len(feats)} feature rows for {len(paths)} paths')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    if suffix == '.pth':
        torch.save({'features': feats, 'paths': list(paths)}, out)
        return [out]
    np.save(out, feats.numpy().astype(np.float32))
    with open(paths_file(out), 'w') as f:
        f.write(''.join(p + '\n' for p in paths))
    return [out, paths_file(out)]
