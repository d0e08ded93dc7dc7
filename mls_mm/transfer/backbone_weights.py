"""Read a pretraining checkpoint and take the online backbone's weights out of it.

Our pretraining checkpoints are mmengine checkpoints (``{'state_dict': ..., 'meta': ...,
'message_hub': ..., ...}``) whose state dict holds ``backbone.*`` (the online encoder),
``neck.*``, ``head.*``, the EMA copy of backbone and neck (``momentum_encoder.module.0.*``
in MLS / BAM, ``encoder_k.module.0.*`` in mmpretrain's MoCo; not wanted here) and
queues. :func:`extract_backbone` keeps ``backbone.*`` and strips the prefix.
"""
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Tuple

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def _is_remote(path: str) -> bool:
    return '://' in path


def read_state_dict(path: str,
                    map_location: str = 'cpu') -> Tuple['OrderedDict[str, torch.Tensor]', dict]:
    """Load a checkpoint file and return its state dict and meta.

    Args:
        path (str): a local file, or anything mmengine's ``CheckpointLoader`` reads
            (``https://``, ``torchvision://``, ...).
        map_location (str): where to put the tensors. Defaults to ``'cpu'``.

    Returns:
        tuple[OrderedDict[str, Tensor], dict]: the state dict (a leading ``module.`` of
        DDP-saved keys stripped) and the checkpoint's ``meta`` (``{}`` for a bare state dict).

    Raises:
        ValueError: if the file holds neither a ``state_dict`` nor a bare dict of tensors.
    """
    checkpoint = CheckpointLoader.load_checkpoint(path, map_location=map_location)
    if not isinstance(checkpoint, Mapping):
        raise ValueError(f'{path}: expected a checkpoint dict, got {type(checkpoint)}')
    if 'state_dict' in checkpoint:
        state_dict, meta = checkpoint['state_dict'], checkpoint.get('meta') or {}
    else:
        state_dict, meta = checkpoint, {}
    bad = [k for k, v in state_dict.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ValueError(f'{path}: neither an mmengine checkpoint (no "state_dict" key) nor a '
                         f'bare state dict: non-tensor entries {bad[:5]}')
    stripped = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v) for k, v in state_dict.items())
    return stripped, dict(meta)


def top_level_prefixes(keys) -> Dict[str, int]:
    """Count keys per first dotted component, e.g. ``{'backbone': 122, 'neck': 4}``."""
    counts: Dict[str, int] = {}
    for key in keys:
        first = key.split('.', 1)[0]
        counts[first] = counts.get(first, 0) + 1
    return counts


def extract_backbone(state_dict: Mapping,
                     prefix: str = 'backbone.',
                     source: str = 'the state dict') -> 'OrderedDict[str, torch.Tensor]':
    """The keys under ``prefix`` with the prefix stripped (the EMA copy etc. dropped).

    Args:
        state_dict (Mapping[str, Tensor]): a full model state dict.
        prefix (str): the sub-module to keep, e.g. ``'backbone.'``; ``''`` keeps everything
            (an already-extracted backbone file). Defaults to ``'backbone.'``.
        source (str): the file the state dict came from, named in errors.

    Returns:
        OrderedDict[str, Tensor]: the backbone's weights, keys relative to the backbone.

    Raises:
        ValueError: naming ``source`` and ``prefix`` and the key prefixes found, if no key
            starts with ``prefix`` (e.g. an already-converted file read with
            ``prefix='backbone.'``).
    """
    out = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items() if k.startswith(prefix))
    if not out:
        found = ', '.join(f'{p}.* ({n})' for p, n in
                          sorted(top_level_prefixes(state_dict).items(), key=lambda x: -x[1])[:8])
        hint = (" (it looks like an already-extracted backbone: use prefix='')"
                if {'conv1', 'layer1'} <= set(top_level_prefixes(state_dict)) else '')
        raise ValueError(f'{source}: no key starts with prefix {prefix!r}; the keys found start '
                         f'with: {found or "nothing (empty state dict)"}{hint}')
    return out


def load_backbone(path: str,
                  prefix: str = 'backbone.',
                  map_location: str = 'cpu') -> Tuple['OrderedDict[str, torch.Tensor]', dict]:
    """:func:`read_state_dict` then :func:`extract_backbone`; returns ``(weights, meta)``."""
    state_dict, meta = read_state_dict(path, map_location)
    return extract_backbone(state_dict, prefix, source=path), meta


def conversion_meta(source: str, source_meta: Optional[dict], conversion: str) -> dict:
    """A small, plain ``meta`` for converted files (loadable with ``weights_only=True``)."""
    meta = {'source': str(source), 'conversion': conversion, 'converted_by': 'mls_mm'}
    for key in ('epoch', 'iter', 'mmengine_version', 'experiment_name'):
        value = (source_meta or {}).get(key)
        if isinstance(value, (int, str)):
            meta[f'source_{key}'] = value
    return meta
