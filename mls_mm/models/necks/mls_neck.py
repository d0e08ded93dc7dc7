"""MLS neck: the pooled backbone feature g and its projection z."""
from typing import Tuple

import torch
from mmpretrain.models.necks import MoCoV2Neck
from mmpretrain.registry import MODELS


@MODELS.register_module()
class MLSNeck(MoCoV2Neck):
    """MoCo v2's MLP projector that also returns its input, the pooled C5 feature.

    MLS (Zhu et al., ICCV 2023) needs both: g (global-average-pooled C5, d_g = 2048 for
    ResNet-50) picks the kNN pseudo-labels against Q_g, and z = f(g) (d_z = 256) is scored
    against Q_z. f is Linear(in, hid)-ReLU-Linear(hid, out) (the MoCo v2 head; MLS does not
    state the hidden size).

    Args:
        in_channels (int): d_g. Defaults to 2048.
        hid_channels (int): Hidden size of the MLP. Defaults to 2048.
        out_channels (int): d_z. Defaults to 256.
        with_avg_pool (bool): Pool the backbone's map first. Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Returns (from ``forward``):
        tuple: ``g`` (B, in_channels) and ``z`` (B, out_channels), both unnormalised.
    """

    def __init__(self, in_channels: int = 2048, hid_channels: int = 2048,
                 out_channels: int = 256, with_avg_pool: bool = True, init_cfg=None):
        super().__init__(in_channels, hid_channels, out_channels, with_avg_pool, init_cfg)
        self.in_channels, self.out_channels = in_channels, out_channels

    def forward(self, x: Tuple[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        feat = x[0]
        if self.with_avg_pool:
            feat = self.avgpool(feat)
        g = feat.flatten(1)
        return g, self.mlp(g)
