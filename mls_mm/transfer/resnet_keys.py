"""Renaming ResNet keys between OpenMMLab, torchvision and detectron2.

mmpretrain, mmdet and mmseg ResNets share one naming, and with BatchNorm (or SyncBN) it *is*
torchvision's: mmcv's ``build_norm_layer`` names a BN layer ``'bn' + postfix``, so the keys
are ``conv1.weight``, ``bn1.*``, ``layer1.0.conv1.weight``, ``layer1.0.bn1.*``, ...,
``layer1.0.downsample.0/1.*`` (``norm1`` / ``norm2`` are only properties pointing at
``bn1`` / ``bn2``). OpenMMLab <-> torchvision is therefore the identity on valid keys, and
rejects what torchvision's ResNet cannot hold: GroupNorm layers (``gn1``), a deep stem
(``stem.*``), a classifier (``fc.*``). Detectron2's naming is the one facebookresearch/moco's
``detection/convert-pretrain-to-detectron2.py`` writes (``stem.conv1.norm.*``,
``res2.0.conv1.norm.*``, ``res2.0.shortcut.*``, ``layer1..4 -> res2..res5``).

Each mapping is a pure function of one key with an inverse; a key it cannot map raises
:class:`UnmappableKeyError` naming it.
"""
import re
from collections import OrderedDict
from typing import Callable, Mapping

_BN_FIELDS = r'(weight|bias|running_mean|running_var|num_batches_tracked)'
_BLOCK = r'layer([1-4])\.(\d+)'
#: The keys of a torchvision ResNet (= an OpenMMLab ResNet with BN) without ``fc``.
_TORCHVISION_KEYS = [
    r'^conv1\.weight$',
    rf'^bn1\.{_BN_FIELDS}$',
    rf'^{_BLOCK}\.conv([1-3])\.weight$',
    rf'^{_BLOCK}\.bn([1-3])\.{_BN_FIELDS}$',
    rf'^{_BLOCK}\.downsample\.0\.weight$',
    rf'^{_BLOCK}\.downsample\.1\.{_BN_FIELDS}$',
]


class UnmappableKeyError(ValueError):
    """A state-dict key that a key mapping does not know."""


def _fail(key: str, mapping: str):
    raise UnmappableKeyError(f'{mapping}: cannot map key {key!r}')


def mm_to_torchvision(key: str) -> str:
    """OpenMMLab ResNet key -> torchvision key: the same name, if torchvision has it.

    Raises:
        UnmappableKeyError: for e.g. ``layer1.0.gn1.weight`` (GroupNorm), ``stem.0.weight``
            (ResNetV1c/d deep stem).
    """
    return _apply(key, [(p, None) for p in _TORCHVISION_KEYS], 'OpenMMLab -> torchvision')


def torchvision_to_mm(key: str) -> str:
    """Inverse of :func:`mm_to_torchvision` (``fc.*`` has no OpenMMLab backbone key)."""
    return _apply(key, [(p, None) for p in _TORCHVISION_KEYS], 'torchvision -> OpenMMLab')


def torchvision_to_detectron2(key: str) -> str:
    """moco's conversion: ``bn1.weight -> stem.conv1.norm.weight``,
    ``layer1.0.bn2.bias -> res2.0.conv2.norm.bias``,
    ``layer1.0.downsample.1.weight -> res2.0.shortcut.norm.weight``."""
    stage = lambda m: int(m[1]) + 1  # noqa: E731 - layer1..4 -> res2..5
    patterns = [
        (r'^conv1\.weight$', lambda m: 'stem.conv1.weight'),
        (rf'^bn1\.{_BN_FIELDS}$', lambda m: f'stem.conv1.norm.{m[1]}'),
        (rf'^{_BLOCK}\.conv([1-3])\.weight$',
         lambda m: f'res{stage(m)}.{m[2]}.conv{m[3]}.weight'),
        (rf'^{_BLOCK}\.bn([1-3])\.{_BN_FIELDS}$',
         lambda m: f'res{stage(m)}.{m[2]}.conv{m[3]}.norm.{m[4]}'),
        (rf'^{_BLOCK}\.downsample\.0\.weight$', lambda m: f'res{stage(m)}.{m[2]}.shortcut.weight'),
        (rf'^{_BLOCK}\.downsample\.1\.{_BN_FIELDS}$',
         lambda m: f'res{stage(m)}.{m[2]}.shortcut.norm.{m[3]}'),
    ]
    return _apply(key, patterns, 'torchvision -> detectron2')


def detectron2_to_torchvision(key: str) -> str:
    """Inverse of :func:`torchvision_to_detectron2`."""
    layer = lambda m: int(m[1]) - 1  # noqa: E731 - res2..5 -> layer1..4
    patterns = [
        (r'^stem\.conv1\.weight$', lambda m: 'conv1.weight'),
        (rf'^stem\.conv1\.norm\.{_BN_FIELDS}$', lambda m: f'bn1.{m[1]}'),
        (r'^res([2-5])\.(\d+)\.conv([1-3])\.weight$',
         lambda m: f'layer{layer(m)}.{m[2]}.conv{m[3]}.weight'),
        (rf'^res([2-5])\.(\d+)\.conv([1-3])\.norm\.{_BN_FIELDS}$',
         lambda m: f'layer{layer(m)}.{m[2]}.bn{m[3]}.{m[4]}'),
        (r'^res([2-5])\.(\d+)\.shortcut\.weight$',
         lambda m: f'layer{layer(m)}.{m[2]}.downsample.0.weight'),
        (rf'^res([2-5])\.(\d+)\.shortcut\.norm\.{_BN_FIELDS}$',
         lambda m: f'layer{layer(m)}.{m[2]}.downsample.1.{m[3]}'),
    ]
    return _apply(key, patterns, 'detectron2 -> torchvision')


def mm_to_detectron2(key: str) -> str:
    """:func:`mm_to_torchvision` then :func:`torchvision_to_detectron2`."""
    return torchvision_to_detectron2(mm_to_torchvision(key))


def detectron2_to_mm(key: str) -> str:
    """Inverse of :func:`mm_to_detectron2`."""
    return torchvision_to_mm(detectron2_to_torchvision(key))


def _apply(key: str, patterns, mapping: str) -> str:
    for pattern, build in patterns:
        match = re.match(pattern, key)
        if match:
            return key if build is None else build(match)
    _fail(key, mapping)


def rename_keys(state_dict: Mapping, mapping: Callable[[str], str],
                source: str = 'the state dict') -> 'OrderedDict':
    """Apply a key mapping to every key; all unmappable keys are reported at once.

    Args:
        state_dict (Mapping[str, Any]): the weights (values are kept as they are).
        mapping (Callable[[str], str]): e.g. :func:`mm_to_torchvision`.
        source (str): named in the error message (e.g. the checkpoint path).

    Raises:
        UnmappableKeyError: naming ``source`` and every key that cannot be mapped, or two
            keys mapped onto the same name.
    """
    out, bad = OrderedDict(), []
    for key, value in state_dict.items():
        try:
            new = mapping(key)
        except UnmappableKeyError as err:
            bad.append(str(err))
            continue
        if new in out:
            bad.append(f'{key!r} maps onto {new!r}, already taken')
        out[new] = value
    if bad:
        raise UnmappableKeyError(f'{source}: {len(bad)} key(s) cannot be renamed:\n  ' +
                                 '\n  '.join(bad[:30]))
    return out


#: ``(block, blocks per stage) -> depth`` of the torchvision / OpenMMLab ResNets.
RESNET_DEPTHS = {
    ('basic', (2, 2, 2, 2)): 18, ('basic', (3, 4, 6, 3)): 34,
    ('bottleneck', (3, 4, 6, 3)): 50, ('bottleneck', (3, 4, 23, 3)): 101,
    ('bottleneck', (3, 8, 36, 3)): 152,
}


def infer_resnet_widths(weights) -> dict:
    """``stem_channels`` and ``base_channels`` of OpenMMLab ResNet weights, from the shapes of
    the stem's last convolution (``conv1.weight``, (stem, 3, 7, 7); with ``deep_stem``, as in
    ResNetV1c / V1d, the last of ``stem.<i>.conv.weight``, (stem, stem / 2, 3, 3)) and of
    ``layer1.0.conv1.weight`` (base, in, k, k); an empty dict when either is absent (the
    target's defaults then apply)."""
    stem, first = weights.get('conv1.weight'), weights.get('layer1.0.conv1.weight')
    if stem is None:
        deep = sorted((int(m.group(1)), key) for key in weights
                      for m in [re.fullmatch(r'stem\.(\d+)\.conv\.weight', key)] if m)
        stem = weights[deep[-1][1]] if deep else None
    if stem is None or first is None:
        return {}
    return dict(stem_channels=int(stem.shape[0]), base_channels=int(first.shape[0]))


def infer_resnet_depth(keys, source: str = 'the state dict') -> int:
    """The ResNet depth of OpenMMLab or torchvision keys, from blocks per stage.

    BasicBlocks (18/34) have ``conv1``/``conv2``; Bottlenecks (50/101/152) also ``conv3``.

    Raises:
        ValueError: naming ``source`` and the block layout if it is no standard ResNet.
    """
    blocks = {s: set() for s in range(1, 5)}
    bottleneck = False
    for key in keys:
        match = re.match(rf'^{_BLOCK}\.conv([1-3])\.weight$', key)
        if match:
            blocks[int(match[1])].add(int(match[2]))
            bottleneck |= match[3] == '3'
    layout = tuple(len(b) for b in blocks.values())
    kind = 'bottleneck' if bottleneck else 'basic'
    if (kind, layout) not in RESNET_DEPTHS:
        raise ValueError(f'{source}: blocks per stage {layout} ({kind} blocks) is no standard '
                         f'ResNet {sorted(RESNET_DEPTHS.values())}; pass the depth explicitly')
    return RESNET_DEPTHS[(kind, layout)]
