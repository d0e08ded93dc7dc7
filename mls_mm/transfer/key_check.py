"""Key-by-key comparison of a state dict with the state dict a target model expects.

Every conversion and every checked load goes through :func:`check_state_dict`, so that a
missing, unexpected or mis-shaped key is an error listing all of them, never a warning.

BatchNorm's ``num_batches_tracked`` buffers are compared like any other key: torchvision,
mmpretrain, mmdet and mmseg ResNets all have them and our checkpoints carry them. Detectron2's
format has none (its ``FrozenBatchNorm2d`` has no such buffer), so comparisons involving it
pass ``ignore=(NUM_BATCHES_TRACKED,)`` explicitly.

Kept by hand: mmengine's ``load_checkpoint(strict=True)`` refuses a mismatch too, but has no
per-key ignore patterns (the C4 head's fresh extra norm, a C4 backbone without ``layer4``),
no check of shapes before it loads, and no use for conversions that never build the model.
"""
import re
from typing import Dict, Iterable, Mapping, Tuple

#: Regex of BatchNorm's ``num_batches_tracked`` buffers, for ``ignore=``.
NUM_BATCHES_TRACKED = r'(^|\.)num_batches_tracked$'

_MAX_LISTED = 30  # keys listed per category in an error message


class KeyMismatchError(ValueError):
    """State-dict keys do not match the target model's.

    Attributes:
        missing (list[str]): keys the target expects and the source lacks.
        unexpected (list[str]): keys the source has and the target does not expect.
        mis_shaped (list[tuple[str, tuple, tuple]]): ``(key, source shape, target shape)``.
    """

    def __init__(self, message: str, missing=(), unexpected=(), mis_shaped=()):
        super().__init__(message)
        self.missing = list(missing)
        self.unexpected = list(unexpected)
        self.mis_shaped = list(mis_shaped)


def _shape(value) -> Tuple[int, ...]:
    """The shape of a tensor / numpy array, or ``value`` itself read as a shape."""
    if hasattr(value, 'shape'):
        return tuple(int(s) for s in value.shape)
    return tuple(int(s) for s in value)


def _matches(key: str, patterns: Iterable[re.Pattern]) -> bool:
    return any(p.search(key) for p in patterns)


def _listing(title: str, lines: list) -> str:
    shown = lines[:_MAX_LISTED]
    more = len(lines) - len(shown)
    text = f'\n  {title} ({len(lines)}):\n    ' + '\n    '.join(shown)
    return text + (f'\n    ... and {more} more' if more > 0 else '')


def check_state_dict(source: Mapping,
                     target: Mapping,
                     *,
                     ignore: Iterable[str] = (),
                     ignore_missing: Iterable[str] = (),
                     ignore_unexpected: Iterable[str] = (),
                     what: str = 'the target model',
                     source_name: str = 'the checkpoint') -> Dict[str, Tuple[int, ...]]:
    """Compare ``source`` with ``target`` key by key; raise if anything differs.

    Args:
        source (Mapping[str, Tensor | ndarray]): the weights to be loaded.
        target (Mapping[str, Tensor | ndarray | tuple]): the target's state dict, or its keys
            mapped to shapes (e.g. ``{k: v.shape for k, v in model.state_dict().items()}``).
        ignore (Iterable[str]): regexes (``re.search``) of keys dropped from both sides
            before comparing, e.g. ``(r'^fc\\.',)`` for torchvision's classifier.
        ignore_missing (Iterable[str]): regexes of target keys that may be absent from
            ``source`` (they keep their initialisation).
        ignore_unexpected (Iterable[str]): regexes of source keys the target may lack (they
            are not loaded), e.g. ``layer4`` for a backbone that stops at res4.
        what (str): the target, named in the message (e.g. ``'torchvision resnet50'``).
        source_name (str): the source, named in the message (e.g. the file path).

    Returns:
        dict[str, tuple]: the source keys to load (in both, after ``ignore``) and their shapes.

    Raises:
        KeyMismatchError: listing the missing, unexpected and mis-shaped keys (with shapes).
    """
    ignore = [re.compile(p) for p in ignore]
    ignore_missing = [re.compile(p) for p in ignore_missing]
    ignore_unexpected = [re.compile(p) for p in ignore_unexpected]
    src = {k: _shape(v) for k, v in source.items() if not _matches(k, ignore)}
    tgt = {k: _shape(v) for k, v in target.items() if not _matches(k, ignore)}

    missing = sorted(k for k in tgt if k not in src and not _matches(k, ignore_missing))
    unexpected = sorted(k for k in src if k not in tgt and not _matches(k, ignore_unexpected))
    mis_shaped = [(k, src[k], tgt[k]) for k in sorted(src) if k in tgt and src[k] != tgt[k]]
    if not (missing or unexpected or mis_shaped):
        return {k: s for k, s in src.items() if k in tgt}

    message = (f'{source_name} does not match {what}: {len(missing)} missing, '
               f'{len(unexpected)} unexpected, {len(mis_shaped)} mis-shaped key(s)')
    if missing:
        message += _listing('missing (expected by the target, absent from the source)',
                            missing)
    if unexpected:
        message += _listing('unexpected (in the source, unknown to the target)', unexpected)
    if mis_shaped:
        message += _listing('mis-shaped (source shape != target shape)',
                            [f'{k}: {tuple(s)} != {tuple(t)}' for k, s, t in mis_shaped])
    raise KeyMismatchError(message, missing, unexpected, mis_shaped)
