# Mask R-CNN R50-C4 1x on COCO, MoCo's detection protocol (MLS Table 2, BAM's transfer):
# detectron2's coco_R_50_C4_1x_moco.yaml written on mmdet's base.
# Departures from mmdet's mask-rcnn_r50-caffe-c4_1x_coco.py, all from that protocol:
#   - pytorch-style ResNet (stride in the 3x3 conv) with torchvision's RGB mean/std, as the SSL
#     backbones are trained, instead of the caffe-style detectron2 ImageNet weights;
#   - SyncBN in the backbone and in the res5 ROI head, no frozen stages, norm_eval=False;
#   - the res5 ROI head carries an extra norm after res5 (mmpretrain's ResLayerExtraNorm,
#     detectron2's Res5ROIHeadsExtraNorm);
#   - res5 of the ROI head starts from the checkpoint's layer4 (mmdet's C4 configs leave it
#     Kaiming-initialised); both inits are CheckedPretrained: a missing, unexpected or
#     mis-shaped key stops the run, only the extra norm (not in any backbone) starts fresh;
#   - multi-scale training, short side 640-800 step 32; detectron2's 1x schedule (90k
#     iterations at 16, steps 60k / 80k, 1000 warm-up iterations: ../_base_/detectron2_1x_schedule.py)
#     instead of mmdet's 12 epochs.
# Not reproduced: detectron2's precise BN.
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50-caffe-c4_1x_coco.py',
          '../_base_/c4_protocol.py', '../_base_/detectron2_1x_schedule.py']
custom_imports = dict(imports={{_base_.c4_imports}}, allow_failed_imports=False)

model = {{_base_.c4_model}}

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
