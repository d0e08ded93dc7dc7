"""The C4 ROI head (one ResNet stage, mmdet's ``ResLayer`` shared head) at any backbone width."""
from mmdet.models.backbones import ResNet
from mmdet.models.layers import ResLayer as _ResStage
from mmdet.models.roi_heads.shared_heads import ResLayer
from mmdet.registry import MODELS


@MODELS.register_module()
class ScaledResLayer(ResLayer):
    """mmdet's ``ResLayer`` shared head for a ResNet of ``base_channels`` width.

    mmdet's head hard-codes the standard width (``planes = 64 * 2**stage``); the backbones
    (mmdet's, mmpretrain's) take ``base_channels``. With ``base_channels=32`` the res5 head of
    a half-width ResNet-18 maps (N, 128, h, w) RoI features to (N, 256, h/2, w/2), so that
    the res5 weights of a pretraining run of that width load into it key by key. Every other
    argument is ``ResLayer``'s; ``base_channels=64`` is ``ResLayer`` itself.
    """

    def __init__(self, depth, base_channels=64, stage=3, stride=2, dilation=1,
                 style='pytorch', norm_cfg=dict(type='BN', requires_grad=True),
                 with_cp=False, dcn=None, **kwargs):
        super().__init__(depth, stage=stage, stride=stride, dilation=dilation, style=style,
                         norm_cfg=norm_cfg, with_cp=with_cp, dcn=dcn, **kwargs)
        if base_channels != 64:
            block, stage_blocks = ResNet.arch_settings[depth]
            self.add_module(f'layer{stage + 1}', _ResStage(
                block, base_channels * 2**(stage - 1) * block.expansion,
                base_channels * 2**stage, stage_blocks[stage], stride=stride,
                dilation=dilation, style=style, with_cp=with_cp, norm_cfg=norm_cfg, dcn=dcn))
