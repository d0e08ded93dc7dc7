"""(GAP + GMP) / 2: the pooling of the multi-label linear probe."""
from typing import Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS


@MODELS.register_module()
class AvgMaxPooling(nn.Module):
    r"""Mean of global average pooling and global max pooling of each feature map.

    The multi-label linear probe of BAM (arXiv 2506.23156, evaluation protocol) pools the
    frozen backbone's last feature map as

    .. math::
        g_c = \frac{1}{2}\Big(\frac{1}{HW}\sum_{h,w} x_{c,h,w} + \max_{h,w} x_{c,h,w}\Big)

    before a linear (1 x 1 conv) classifier. Like mmpretrain's ``GlobalAveragePooling``, a
    tuple of maps (the backbone's ``out_indices``) gives a tuple of pooled features and a
    single tensor gives a single tensor. No parameters.

    Shape:
        - Input: ``(N, C, H, W)`` or a tuple of such tensors (C, H, W may differ per entry).
        - Output: ``(N, C)``, or a tuple with one ``(N, C)`` per input entry.
    """

    def forward(
        self, inputs: Union[torch.Tensor, Tuple[torch.Tensor, ...]]
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        if isinstance(inputs, tuple):
            return tuple(self._pool(x) for x in inputs)
        if isinstance(inputs, torch.Tensor):
            return self._pool(inputs)
        raise TypeError(f'AvgMaxPooling takes a tensor or a tuple of tensors, '
                        f'got {type(inputs).__name__}')

    @staticmethod
    def _pool(x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f'AvgMaxPooling expects (N, C, H, W) maps, got shape '
                             f'{tuple(x.shape)}')
        flat = x.flatten(2)  # (N, C, H*W)
        return (flat.mean(dim=2) + flat.amax(dim=2)) / 2  # (N, C)
