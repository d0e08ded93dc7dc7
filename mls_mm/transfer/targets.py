"""The models a converted backbone is checked against: OpenMMLab backbones and torchvision.

An OpenMMLab target is built from the target library's ``MODELS`` registry, either from a
downstream config's ``model.backbone`` (its ``custom_imports`` and ``default_scope`` honoured,
its ``init_cfg`` dropped: building for a check must not load anything) or as a plain
``ResNet(depth)``. Nothing here calls ``init_weights``: only keys and shapes are used.
"""
import copy
import importlib
from typing import List, Optional, Tuple

import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.utils import import_modules_from_strings

#: OpenMMLab targets and their ``default_scope``; each has ``<scope>.registry.MODELS``.
MM_TARGETS = ('mmdet', 'mmseg', 'mmpretrain')
#: All conversion targets.
TARGETS = MM_TARGETS + ('torchvision', 'detectron2')


def mm_registry(target: str):
    """The ``MODELS`` registry of ``target`` (``'mmdet'``, ``'mmseg'`` or ``'mmpretrain'``)."""
    if target not in MM_TARGETS:
        raise ValueError(f'target {target!r} is not one of the OpenMMLab targets {MM_TARGETS}')
    return importlib.import_module(f'{target}.registry').MODELS


def backbone_cfg_from_config(config: str, target: str) -> dict:
    """``model.backbone`` of an OpenMMLab config, without ``init_cfg`` / ``pretrained``.

    Runs the config's ``custom_imports``; checks its ``default_scope`` agrees with ``target``.

    Raises:
        ValueError: naming the config and the config key if ``model.backbone`` is absent or
            ``default_scope`` belongs to another library.
    """
    cfg = Config.fromfile(config)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg['custom_imports'])
    scope = cfg.get('default_scope')
    if scope is not None and scope != target:
        raise ValueError(f'{config}: default_scope is {scope!r}, but the target is {target!r}; '
                         f'pass --target {scope} or a {target} config')
    backbone = cfg.get('model', {}).get('backbone')
    if backbone is None:
        raise ValueError(f'{config}: no model.backbone to check the weights against')
    backbone = copy.deepcopy(backbone.to_dict() if hasattr(backbone, 'to_dict') else backbone)
    backbone.pop('init_cfg', None)  # never load weights while building the check target
    backbone.pop('pretrained', None)
    return backbone


def checked_init_modules(config: str, target: str) -> List[Tuple[str, dict, dict]]:
    """The modules of ``config``'s model that load the converted weights.

    Every sub-config of ``model`` (at any depth) whose ``init_cfg`` is a ``CheckedPretrained``
    counts: ``model.backbone``, and in C4 detectors ``model.roi_head.shared_head`` (res5 taken
    from the backbone's ``layer4``). A config with no such ``init_cfg`` gives
    ``model.backbone`` alone, checked strictly.

    Returns:
        list[tuple[str, dict, dict]]: (config key, module config without ``init_cfg``, the
        ``init_cfg``) for each.
    """
    cfg = Config.fromfile(config)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg['custom_imports'])
    found = []

    def visit(node, key):
        if isinstance(node, dict):
            init = node.get('init_cfg')
            if isinstance(init, dict) and init.get('type') == 'CheckedPretrained':
                module = copy.deepcopy(dict(node))
                module.pop('init_cfg')
                found.append((key, module, dict(init)))
            for child_key, child in node.items():
                if child_key != 'init_cfg':
                    visit(child, f'{key}.{child_key}')

    visit(cfg.get('model', {}), 'model')
    if not found:
        found.append(('model.backbone', backbone_cfg_from_config(config, target), {}))
    return found


def build_mm_module(target: str, module_cfg: dict) -> nn.Module:
    """Build one module config with ``target``'s ``MODELS`` registry and scope."""
    with DefaultScope.overwrite_default_scope(target):
        return mm_registry(target).build(module_cfg)


def build_mm_backbone(target: str,
                      config: Optional[str] = None,
                      depth: int = 50,
                      widths: Optional[dict] = None) -> Tuple[nn.Module, str]:
    """Build the backbone a converted OpenMMLab file must load into.

    Args:
        target (str): ``'mmdet'``, ``'mmseg'`` or ``'mmpretrain'``.
        config (str, optional): a downstream config; its ``model.backbone`` is built.
            Without it, ``ResNet(depth=depth)`` of the target library.
        depth (int): ResNet depth when there is no config. Defaults to 50.
        widths (dict, optional): ``stem_channels`` / ``base_channels`` when there is no
            config (e.g. the half-width ResNet-18 of the scenes twins). Defaults to the
            library's (64).

    Returns:
        tuple[nn.Module, str]: the backbone (weights at construction values) and a
        description of it for messages, e.g. ``'mmdet ResNet-18 (plain)'``.
    """
    registry = mm_registry(target)
    if config is None:
        cfg = dict(type='ResNet', depth=depth, **(widths or {}))
        width = '' if not widths or widths.get('base_channels', 64) == 64 else \
            f', width {widths["base_channels"]}'
        what = f'{target} ResNet-{depth} (plain{width})'
    else:
        cfg = backbone_cfg_from_config(config, target)
        what = f'{target} {cfg.get("type")} of model.backbone in {config}'
    with DefaultScope.overwrite_default_scope(target):
        model = registry.build(cfg)
    return model, what


def torchvision_resnet(depth: int) -> nn.Module:
    """``torchvision.models.resnet{depth}()`` with random weights (no download)."""
    import torchvision
    builder = getattr(torchvision.models, f'resnet{depth}', None)
    if builder is None:
        raise ValueError(f'torchvision has no resnet{depth}')
    return builder(weights=None)
