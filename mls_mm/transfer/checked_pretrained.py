"""``init_cfg=dict(type='CheckedPretrained', ...)``: mmengine's ``Pretrained``, but strict.

mmengine's ``Pretrained`` initializer loads with ``strict=False`` and only logs a warning for
missing keys, so a wrong ``prefix`` or a checkpoint of another architecture silently leaves
the backbone at its random initialisation. ``CheckedPretrained`` compares the checkpoint with
the module key by key first and raises :class:`~mls_mm.transfer.KeyMismatchError` listing
every missing, unexpected and mis-shaped key.

Usage in a downstream config (mmdet, mmseg or mmpretrain; child registries find it in
mmengine's root ``WEIGHT_INITIALIZERS``)::

    model = dict(backbone=dict(init_cfg=dict(
        type='CheckedPretrained', checkpoint='work_dirs/mocov2/epoch_200.pth',
        prefix='backbone.')))   # prefix='' for a file written by extract_backbone.py

Keeping the loaded weights: ``BaseModule.init_weights`` runs the ``init_cfg`` of a module,
then its children's ``init_weights``, and runs a ``Pretrained`` init_cfg last so that nothing
overwrites it; it recognises only ``type='Pretrained'`` for that. So after loading, this
initializer marks every sub-module whose weights all came from the checkpoint as initialised
(``_is_init = True``: their own ``init_cfg`` would overwrite the loaded weights) and, as
mmpretrain's ``ResNet.init_weights`` does for ``Pretrained``, turns off ``zero_init_residual``
(applied after ``BaseModule.init_weights`` returns). Backbones that re-initialise other
parameters after ``super().init_weights()`` unless ``init_cfg.type == 'Pretrained'``
(mmpretrain's ViT family) are not covered: use them with ``Pretrained``.
"""
import os.path as osp
from typing import Iterable, Sequence, Union

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS

from .backbone_weights import load_backbone
from .key_check import check_state_dict


@WEIGHT_INITIALIZERS.register_module(name='CheckedPretrained')
class CheckedPretrainedInit:
    r"""Load a (part of a) checkpoint into a module, failing on any key mismatch.

    Args:
        checkpoint (str): the checkpoint file (or an mmengine-readable URL).
        prefix (str): the sub-module of the checkpoint to load, e.g. ``'backbone.'`` for a
            pretraining checkpoint, ``''`` for an already-extracted backbone file.
            Defaults to ``'backbone.'``.
        map_location (str): where to load the tensors. Defaults to ``'cpu'``.
        ignore_missing (Sequence[str]): regexes (``re.search``) of module keys allowed to be
            absent from the checkpoint; they keep their initialisation. Defaults to ``()``.
        ignore_unexpected (Sequence[str]): regexes of checkpoint keys (after ``prefix``) the
            module may lack; they are not loaded (e.g. ``[r'^layer4\.']`` for a C4 backbone
            that stops at res4). Defaults to ``()``.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: str = 'backbone.',
                 map_location: str = 'cpu',
                 ignore_missing: Union[str, Sequence[str]] = (),
                 ignore_unexpected: Union[str, Sequence[str]] = ()):
        if not isinstance(checkpoint, str) or not checkpoint:
            raise ValueError(
                f'init_cfg.checkpoint is {checkpoint!r}: set it to the pretraining checkpoint '
                'in every module whose init_cfg is CheckedPretrained (the backbone, and in C4 '
                'detectors also model.roi_head.shared_head; `python -m '
                'mls_mm.transfer.init_targets CONFIG CKPT` prints the --cfg-options for all of '
                'them, and the benchmark launchers set them), e.g. --cfg-options '
                'model.backbone.init_cfg.checkpoint=work_dirs/RUN/epoch_200.pth; or set each '
                'such init_cfg=None to train from random weights on purpose')
        if not isinstance(prefix, str):
            raise ValueError(f"init_cfg.prefix must be a string ('' for none), got {prefix!r}")
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.ignore_missing = _regexes(ignore_missing)
        self.ignore_unexpected = _regexes(ignore_unexpected)

    def __call__(self, module: nn.Module) -> None:
        name = type(module).__name__
        if '://' not in self.checkpoint and not osp.isfile(self.checkpoint):
            raise FileNotFoundError(f'init_cfg.checkpoint of {name}: no such file '
                                    f'{self.checkpoint!r} (cwd {osp.abspath(".")})')
        try:
            weights, _ = load_backbone(self.checkpoint, self.prefix, self.map_location)
        except ValueError as err:
            raise ValueError(f'init_cfg.prefix={self.prefix!r} of {name}: {err}') from err
        to_load = check_state_dict(
            weights, module.state_dict(), ignore_missing=self.ignore_missing,
            ignore_unexpected=self.ignore_unexpected,
            what=f'{name} (init_cfg CheckedPretrained, prefix={self.prefix!r})',
            source_name=f'init_cfg.checkpoint {self.checkpoint!r}')
        weights = {k: v for k, v in weights.items() if k in to_load}
        module.load_state_dict(weights, strict=not self.ignore_missing)
        protected = keep_loaded_weights(module, set(weights))
        print_log(f'CheckedPretrained: loaded {len(weights)} keys under {self.prefix!r} of '
                  f'{self.checkpoint} into {name} (all keys matched; {protected} sub-modules '
                  f'skip their own init)', logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return (f'{self.__class__.__name__}: load {self.prefix!r} from {self.checkpoint} '
                f'(keys checked)')


def _regexes(value: Union[str, Sequence[str]]) -> tuple:
    return (value, ) if isinstance(value, str) else tuple(value)


def keep_loaded_weights(module: nn.Module, loaded_keys: Iterable[str]) -> int:
    """Stop later initialisation from overwriting weights just loaded into ``module``.

    Marks as initialised (``_is_init = True``) every :class:`BaseModule` below ``module``
    whose state-dict keys were all loaded, so ``BaseModule.init_weights`` skips them, and
    sets ``zero_init_residual = False`` where a module has it (mmpretrain's ResNet zeroes the
    last BN of each block after ``BaseModule.init_weights`` unless ``type='Pretrained'``).

    Returns:
        int: the number of sub-modules marked as initialised.
    """
    loaded_keys = set(loaded_keys)
    marked = 0
    for name, sub in module.named_modules():
        if getattr(sub, 'zero_init_residual', False):
            sub.zero_init_residual = False
        if sub is module or not isinstance(sub, BaseModule):
            continue
        keys = {f'{name}.{k}' for k in sub.state_dict()}
        if keys <= loaded_keys:
            sub._is_init = True
            marked += 1
    return marked
