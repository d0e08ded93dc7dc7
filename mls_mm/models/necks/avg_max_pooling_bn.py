"""(GAP + GMP) / 2, then a parameter-free BatchNorm: a linear probe fair to any feature scale."""
from typing import Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from .avg_max_pooling import AvgMaxPooling


@MODELS.register_module()
class AvgMaxPoolingBN(AvgMaxPooling):
    r""":class:`AvgMaxPooling`, then ``BatchNorm1d(in_channels, affine=False)``.

    The batch norm standardises each pooled channel with the training set's statistics
    (running mean and variance at test time) before the linear classifier, as MAE's linear
    probe does (He et al., arXiv 2111.06377, appendix A.1: "BatchNorm without affine
    transformation"). It has no parameters, so the probe stays linear; what it removes is the
    probe's dependence on the scale of the features: with one learning rate for every
    backbone, a backbone whose features are 25 times smaller (a random ResNet-18 of the scenes
    against a pretrained one, measured) otherwise barely moves its classifier.

    Shape:
        - Input: ``(N, C, H, W)`` or a tuple of such tensors, ``C == in_channels``.
        - Output: ``(N, C)``, or a tuple with one ``(N, C)`` per input entry.
    """

    def __init__(self, in_channels: int, eps: float = 1e-6):
        super().__init__()
        self.bn = nn.BatchNorm1d(in_channels, affine=False, eps=eps)

    def forward(
        self, inputs: Union[torch.Tensor, Tuple[torch.Tensor, ...]]
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        pooled = super().forward(inputs)
        if isinstance(pooled, tuple):
            return tuple(self.bn(x) for x in pooled)
        return self.bn(pooled)
