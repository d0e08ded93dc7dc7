"""Convert backbone weights to a target's format, check them key by key, and write them.

============  ===================================  ==========================================
target        written file                         checked against
============  ===================================  ==========================================
mmdet         ``{'state_dict', 'meta'}`` (.pth)    ``model.backbone`` of ``--config``, or
mmseg         same keys as the pretraining          the library's ``ResNet(depth)``
mmpretrain    backbone
torchvision   bare state dict (.pth)               ``torchvision.models.resnet{depth}()``,
                                                   ``fc.*`` expected missing
detectron2    pickle ``{'model': {k: ndarray},     detectron2 is not installed: the keys are
              '__author__', 'matching_heuristics'}`` mapped back to torchvision's and checked
                                                   against torchvision's ResNet
============  ===================================  ==========================================
"""
import os
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Mapping, Optional, Tuple

import torch

from .key_check import NUM_BATCHES_TRACKED, KeyMismatchError, check_state_dict
from .resnet_keys import (detectron2_to_torchvision, infer_resnet_depth, infer_resnet_widths,
                          mm_to_detectron2,
                          mm_to_torchvision, rename_keys)
from .targets import (MM_TARGETS, TARGETS, build_mm_backbone, build_mm_module,
                      checked_init_modules, torchvision_resnet)

TORCHVISION_CLASSIFIER = r'^fc\.'


def convert_backbone(weights: Mapping,
                     target: str,
                     *,
                     config: Optional[str] = None,
                     depth: Optional[int] = None,
                     source: str = 'the checkpoint') -> Tuple['OrderedDict', str]:
    """Convert OpenMMLab ResNet backbone weights to ``target`` and check them key by key.

    Args:
        weights (Mapping[str, Tensor]): backbone weights, OpenMMLab names (``conv1.weight``,
            ``bn1.*``, ``layer1.0.conv1.weight``, ...), e.g. from
            :func:`~mls_mm.transfer.extract_backbone`.
        target (str): one of :data:`~mls_mm.transfer.targets.TARGETS`.
        config (str, optional): OpenMMLab config whose ``model.backbone`` is the target
            (OpenMMLab targets only).
        depth (int, optional): ResNet depth; inferred from the keys when not given.
        source (str): the source file, named in errors.

    Returns:
        tuple[OrderedDict, str]: the converted weights (numpy arrays for detectron2, without
        ``num_batches_tracked``, which detectron2 does not have) and what they were checked
        against.

    Raises:
        KeyMismatchError: missing, unexpected or mis-shaped keys w.r.t. the target.
        UnmappableKeyError: a key with no counterpart in the target's naming.
    """
    if target not in TARGETS:
        raise ValueError(f'unknown target {target!r}; choose one of {TARGETS}')
    if config is not None and target not in MM_TARGETS:
        raise ValueError(f'--config applies to {MM_TARGETS}, not to {target!r}')
    if depth is None and not (target in MM_TARGETS and config is not None):
        depth = infer_resnet_depth(weights, source)

    if target in MM_TARGETS and config is not None:
        return OrderedDict(weights), check_against_config(weights, target, config, source)
    widths = infer_resnet_widths(weights)
    if target in MM_TARGETS:
        model, what = build_mm_backbone(target, config, depth, widths)
        check_state_dict(weights, model.state_dict(), what=what, source_name=source)
        return OrderedDict(weights), what

    if widths and widths != dict(stem_channels=64, base_channels=64):
        raise ValueError(
            f'{source}: a ResNet of stem / base width {widths["stem_channels"]} / '
            f'{widths["base_channels"]} has no {target} counterpart (torchvision\'s and '
            f'detectron2\'s ResNet-{depth} are 64 wide); convert it to an OpenMMLab target '
            '(mmdet, mmseg, mmpretrain) instead')
    tv_what = f'torchvision resnet{depth} (without fc)'
    tv_target = torchvision_resnet(depth).state_dict()
    tv_weights = rename_keys(weights, mm_to_torchvision, source)
    if target == 'torchvision':
        check_state_dict(tv_weights, tv_target, ignore=(TORCHVISION_CLASSIFIER, ), what=tv_what,
                         source_name=source)
        return tv_weights, tv_what

    d2 = OrderedDict((k, v.detach().cpu().numpy())
                     for k, v in rename_keys(weights, mm_to_detectron2, source).items()
                     if not re.search(NUM_BATCHES_TRACKED, k))
    check_detectron2(d2, depth, source)
    return d2, f'{tv_what}, via the detectron2 -> torchvision key mapping'


def check_against_config(weights: Mapping, target: str, config: str, source: str) -> str:
    """Check ``weights`` against every module of ``config`` that will load them.

    Each ``CheckedPretrained`` module (see :func:`~mls_mm.transfer.targets.
    checked_init_modules`) is checked with its own ``ignore_missing`` / ``ignore_unexpected``,
    exactly as it will load at fine-tuning time; then every weight must have a home in one
    of them (a key that no module loads would be silently dropped).
    """
    modules = checked_init_modules(config, target)
    homes = set()
    for key, module_cfg, init in modules:
        what = f'{target} {module_cfg.get("type")} of {key} in {config}'
        loaded = check_state_dict(weights, build_mm_module(target, module_cfg).state_dict(),
                                  ignore_missing=init.get('ignore_missing', ()),
                                  ignore_unexpected=init.get('ignore_unexpected', ()),
                                  what=what, source_name=source)
        homes.update(loaded)
    homeless = sorted(k for k in weights if k not in homes)
    if homeless:
        raise KeyMismatchError(
            f'{source}: {len(homeless)} keys would not be loaded by any module of {config} '
            f'({", ".join(k for k, _, _ in modules)}): ' + ', '.join(homeless[:20]),
            unexpected=homeless)
    return ' + '.join(k for k, _, _ in modules) + f' of {config}'


def check_detectron2(d2_weights: Mapping, depth: int, source: str = 'the detectron2 weights'):
    """Check detectron2-named weights by mapping them back onto torchvision's ResNet.

    detectron2 is not installed here, so its ResNet cannot be built; its naming is a
    bijection of torchvision's (see :mod:`~mls_mm.transfer.resnet_keys`), and
    ``num_batches_tracked`` (absent from detectron2's frozen BatchNorm) is ignored.
    """
    tv_weights = rename_keys(d2_weights, detectron2_to_torchvision, source)
    check_state_dict(tv_weights, torchvision_resnet(depth).state_dict(),
                     ignore=(TORCHVISION_CLASSIFIER, NUM_BATCHES_TRACKED),
                     what=f'torchvision resnet{depth} (detectron2 keys mapped back)',
                     source_name=source)


def save_converted(weights: Mapping, out: str, target: str, meta: dict) -> None:
    """Write converted weights in ``target``'s file format (see the module docstring)."""
    if osp.dirname(out):
        os.makedirs(osp.dirname(out), exist_ok=True)
    if target in MM_TARGETS:
        torch.save({'state_dict': OrderedDict(weights), 'meta': meta}, out)
    elif target == 'torchvision':
        torch.save(OrderedDict(weights), out)
    elif target == 'detectron2':
        with open(out, 'wb') as f:
            pickle.dump({'model': dict(weights), '__author__': 'mls_mm',
                         'matching_heuristics': True}, f)
    else:
        raise ValueError(f'unknown target {target!r}; choose one of {TARGETS}')
