# Mask R-CNN R50-FPN on Cityscapes instance segmentation (train_fine -> val), MoCo's
# Cityscapes protocol (detectron2's Cityscapes/mask_rcnn_R_50_FPN.yaml with SyncBN), on mmdet's
# base. Departures from mmdet's mask-rcnn_r50_fpn_1x_cityscapes.py, all from that protocol:
#   - starts from the SSL backbone (CheckedPretrained) instead of a COCO-trained detector
#     (load_from=None);
#   - SyncBN in the backbone, FPN and ROI heads, no frozen stages, norm_eval=False, the
#     4conv1fc box head with norm (as the COCO FPN config);
#   - 24k iterations at 8 images (1 per GPU x 8), lr 0.01, step at 18k, train short side 800-1024
#     (long side up to 2048), test 1024;
#   - evaluated with CocoMetric (bbox, segm) only: mmdet's CityScapesMetric (the official
#     cityscapesscripts AP that MoCo reports) needs `pip install cityscapesscripts`, which this
#     project does not install; with it, restore mmdet's val_evaluator list.
_base_ = 'mmdet::cityscapes/mask-rcnn_r50_fpn_1x_cityscapes.py'
custom_imports = dict(imports=['mls_mm'], allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(_delete_=True, type='CheckedPretrained', checkpoint='',
                      prefix='backbone.')),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))
load_from = None
val_evaluator = dict(
    _delete_=True, type='CocoMetric',
    ann_file='data/cityscapes/annotations/instancesonly_filtered_gtFine_val.json',
    metric=['bbox', 'segm'])
test_evaluator = val_evaluator

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize',
         scales=[(2048, s) for s in range(800, 1025, 32)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))

max_iter = 24000
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iter,
                 val_interval=4000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', begin=0, end=max_iter, by_epoch=False, milestones=[18000],
         gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000))
log_processor = dict(by_epoch=False)
