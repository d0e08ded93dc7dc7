"""Conversion of MLS checkpoints written before the dictionaries became one ``FeatureQueue``.

mls_mm 0.1 (the release before 0.2.0) kept Q_g, Q_z and the label queue in three modules (``queue_g``, ``queue_z``,
``queue_labels``, each with ``feats`` and ``ptr``) that were meant to share one pointer tensor.
A device move gave each its own copy, so checkpoints of GPU runs hold three different
pointers and a Q_z whose rows are not Q_g's. Today's layout is one module ``queue`` with the
fields ``g``, ``z`` (, ``labels``) and one ``ptr``.
"""
from typing import Dict

import torch

LEGACY_FIELDS = {'queue_g': 'g', 'queue_z': 'z', 'queue_labels': 'labels'}


def legacy_queue_keys(state_dict: Dict[str, torch.Tensor], prefix: str = '') -> list:
    """The keys of ``state_dict`` (under ``prefix``) in the 0.1 three-module layout."""
    heads = tuple(f'{prefix}{old}.' for old in LEGACY_FIELDS)
    return sorted(key for key in state_dict if key.startswith(heads))


def convert_legacy_queue_state(state_dict: Dict[str, torch.Tensor],
                               reset_misaligned: bool = False) -> Dict[str, torch.Tensor]:
    """Map the 0.1 layout to ``queue.{g,z,labels,ptr}``; everything else is kept as is.

    The conversion is exact only for a checkpoint whose three pointers were still ONE tensor
    when it was saved (a CPU run of 0.1: ``torch.save`` keeps tensors that share a storage
    shared, so the loaded pointers share one storage again). After a device move each queue
    had its own pointer and only Q_g's advanced: such a checkpoint holds three separate
    pointer tensors, whatever their values (all three read 0 each time Q_g's wraps around), and
    a Q_z unrelated to Q_g. Those raise unless ``reset_misaligned``, which drops the
    dictionaries instead (the model built from the config then keeps its freshly initialised
    ones, and the next D / B steps refill them).
    """
    old = legacy_queue_keys(state_dict)
    if not old:
        raise ValueError('no legacy MLS dictionary keys (queue_g.*, queue_z.*, '
                         'queue_labels.*) in this checkpoint: nothing to convert')
    ptrs = {name: state_dict[f'{name}.ptr'] for name in LEGACY_FIELDS
            if f'{name}.ptr' in state_dict}
    pointers = {name: int(ptr) for name, ptr in ptrs.items()}
    storages = {ptr.untyped_storage().data_ptr() for ptr in ptrs.values()}
    converted = {k: v for k, v in state_dict.items() if k not in old}
    if len(set(pointers.values())) > 1 or len(storages) > 1:
        if not reset_misaligned:
            how = ('different pointers' if len(set(pointers.values())) > 1
                   else 'pointers saved as separate tensors')
            raise ValueError(
                f'the legacy dictionaries have {how} {pointers}: they came apart in a device run of mls_mm 0.1 (only Q_g\'s pointer '
                'moved) and Q_z does not match Q_g row by row; convert with '
                'reset_misaligned=True (--reset-misaligned) to drop them and refill them by '
                'training')
        return converted
    for name, field in LEGACY_FIELDS.items():
        if f'{name}.feats' in state_dict:
            converted[f'queue.{field}'] = state_dict[f'{name}.feats']
    converted['queue.ptr'] = state_dict['queue_g.ptr'].clone()
    return converted
