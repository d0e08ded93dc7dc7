"""The C4 ROI head (one ResNet stage and an extra norm) at any backbone width."""
from mmdet.models.backbones import ResNet
from mmdet.models.layers import ResLayer as _ResStage
from mmdet.registry import MODELS
from mmpretrain.models.utils import ResLayerExtraNorm
from mmpretrain.models.utils.norm import build_norm_layer


@MODELS.register_module()
class ScaledResLayerExtraNorm(ResLayerExtraNorm):
    """mmpretrain's ``ResLayerExtraNorm`` (mmdet's ``ResLayer`` shared head, then a norm: the
    res5 ROI head of the selfsup C4 detectors) for a ResNet of ``base_channels`` width.

    Both hard-code the standard width (``planes = 64 * 2**stage``); the backbones (mmdet's,
    mmpretrain's) take ``base_channels``. With ``base_channels=32`` the res5 head of a
    half-width ResNet-18 maps (N, 128, h, w) RoI features to (N, 256, h/2, w/2), so that the
    res5 weights of a pretraining run of that width load into it key by key. Every other
    argument is ``ResLayerExtraNorm``'s; ``base_channels=64`` is ``ResLayerExtraNorm`` itself.
    """

    def __init__(self, depth, base_channels=64, stage=3, stride=2, dilation=1,
                 style='pytorch', norm_cfg=dict(type='BN', requires_grad=True),
                 with_cp=False, dcn=None, **kwargs):
        super().__init__(depth=depth, stage=stage, stride=stride, dilation=dilation,
                         style=style, norm_cfg=norm_cfg, with_cp=with_cp, dcn=dcn, **kwargs)
        if base_channels != 64:
            block, stage_blocks = ResNet.arch_settings[depth]
            planes = base_channels * 2**stage
            self.add_module(f'layer{stage + 1}', _ResStage(
                block, base_channels * 2**(stage - 1) * block.expansion, planes,
                stage_blocks[stage], stride=stride, dilation=dilation, style=style,
                with_cp=with_cp, norm_cfg=norm_cfg, dcn=dcn))
            self.add_module('norm', build_norm_layer(norm_cfg, planes * block.expansion))
