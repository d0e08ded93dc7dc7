# Mask R-CNN R50-FPN 1x on COCO, MoCo's detection protocol (MLS Table 1): the detectron2
# recipe of MoCo (He et al. 2020, configs/coco_R_50_FPN_1x_moco.yaml) written on mmdet's base.
# Departures from mmdet's mask-rcnn_r50_fpn_1x_coco.py, all from that protocol:
#   - SyncBN in the backbone, the FPN and both ROI heads; no frozen stages; norm_eval=False;
#   - the box head is 4 conv + 1 fc with norm (detectron2 FastRCNNConvFCHead, NUM_CONV 4);
#   - multi-scale training, short side 640-800 step 32 (test 800);
#   - detectron2's 1x schedule: 90k iterations at 16, steps 60k / 80k, 1000 warm-up
#     iterations (../_base_/detectron2_1x_schedule.py) instead of mmdet's 12 epochs;
#   - the backbone starts from an SSL checkpoint through CheckedPretrained, which stops the run
#     when a key is missing, unexpected or mis-shaped (checkpoint='' refuses to start at all:
#     the launch script fills it in, tools/benchmarks/mmdetection/dist_train.sh).
# Left as in mmdet: torchvision's RGB mean/std (the SSL backbones are trained with them),
# mmdet's anchors, samplers and 8 x 2 images per batch. Not reproduced: detectron2's precise BN.
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
          '../_base_/detectron2_1x_schedule.py']
custom_imports = dict(imports=['mls_mm'], allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(type='CheckedPretrained', checkpoint='', prefix='backbone.')),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize',
         scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768),
                 (1333, 800)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(sampler={{_base_.d2_1x_train_sampler}},
                        dataset=dict(pipeline=train_pipeline))
train_cfg = {{_base_.d2_1x_train_cfg}}
param_scheduler = {{_base_.d2_1x_param_scheduler}}
default_hooks = {{_base_.d2_1x_default_hooks}}
log_processor = {{_base_.d2_1x_log_processor}}
