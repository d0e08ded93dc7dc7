"""Transfer: pretraining checkpoint -> downstream backbone weights, always checked key by key.

- :func:`load_backbone` / :func:`extract_backbone`: the online ``backbone.*`` weights of a
  pretraining checkpoint.
- :func:`check_state_dict`: missing / unexpected / mis-shaped keys -> :class:`KeyMismatchError`.
- :mod:`~mls_mm.transfer.resnet_keys`: OpenMMLab <-> torchvision <-> detectron2 ResNet names.
- :func:`convert_backbone` / :func:`save_converted`: used by
  ``tools/model_converters/extract_backbone.py``.
- ``init_cfg=dict(type='CheckedPretrained', checkpoint=..., prefix='backbone.')``: a strict
  replacement of mmengine's ``Pretrained`` (:class:`CheckedPretrainedInit`).
"""
from .backbone_weights import extract_backbone, load_backbone, read_state_dict
from .checked_pretrained import CheckedPretrainedInit, keep_loaded_weights
from .convert import check_detectron2, convert_backbone, save_converted
from .key_check import NUM_BATCHES_TRACKED, KeyMismatchError, check_state_dict
from .resnet_keys import (UnmappableKeyError, detectron2_to_mm, detectron2_to_torchvision,
                          infer_resnet_depth, mm_to_detectron2, mm_to_torchvision,
                          rename_keys, torchvision_to_detectron2, torchvision_to_mm)
from .targets import MM_TARGETS, TARGETS, build_mm_backbone, torchvision_resnet

__all__ = [
    'extract_backbone', 'load_backbone', 'read_state_dict', 'CheckedPretrainedInit',
    'keep_loaded_weights', 'check_detectron2', 'convert_backbone', 'save_converted',
    'NUM_BATCHES_TRACKED', 'KeyMismatchError', 'check_state_dict', 'UnmappableKeyError',
    'detectron2_to_mm', 'detectron2_to_torchvision', 'infer_resnet_depth', 'mm_to_detectron2',
    'mm_to_torchvision', 'rename_keys', 'torchvision_to_detectron2', 'torchvision_to_mm',
    'MM_TARGETS', 'TARGETS', 'build_mm_backbone', 'torchvision_resnet'
]
