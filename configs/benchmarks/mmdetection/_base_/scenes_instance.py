# The built-in scenes (tools/generate_scenes.py) as an mmdet instance-segmentation dataset:
# COCO layout, 12 classes, the 128 px images at their size (objects are 26-70 px),
# CocoMetric for bbox and segm; and the scaled-down model parts the twins share. Only
# `scenes_*` variables are defined here, so that a twin can inherit this file beside a COCO /
# VOC / Cityscapes config and replace that config's data and sizes with them.
_base_ = ['../../../_base_/scenes_backbone.py']

scenes_data_root = 'data/scenes/'
scenes_metainfo = dict(classes=(
    'striped_disc', 'checkered_disc', 'dotted_disc', 'striped_square', 'checkered_square',
    'dotted_square', 'striped_triangle', 'checkered_triangle', 'dotted_triangle',
    'striped_cross', 'checkered_cross', 'dotted_cross'))
scenes_scale = (128, 128)
scenes_train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='CocoDataset',
        data_root=scenes_data_root,
        metainfo=scenes_metainfo,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='Resize', scale=scenes_scale, keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackDetInputs'),
        ]))
scenes_val_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CocoDataset',
        data_root=scenes_data_root,
        metainfo=scenes_metainfo,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=scenes_scale, keep_ratio=True),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='PackDetInputs',
                 meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                            'scale_factor')),
        ]))
scenes_val_evaluator = dict(
    _delete_=True,
    type='CocoMetric',
    ann_file=scenes_data_root + 'annotations/instances_val2017.json',
    metric=['bbox', 'segm'])

# Scaled to 2 CPU cores (the departures the twins share): the scenes backbone (the half-width
# ResNet-18 of configs/_base_/scenes_backbone.py, as the pretraining twins); FPN
# and heads 64 channels wide instead of 256; with at most 4 objects per image, 300 proposals
# and 64 sampled ROIs per image instead of 2000 and 512 (the 4-conv box head on 512 ROIs alone
# costs ~20 s per iteration on 2 cores); the 300 proposals come from the top 300 boxes of each
# FPN level instead of 1,000 (NMS on fewer boxes: the main job's 1-epoch transfer, with its
# evaluation on 256 images and 300 test proposals, took 54 s against 58 s, box AP of the
# MoCo v2 seed 0 start 8.7 against 7.9; one run each); at test, 100 of those proposals per
# image instead of 300 (only evaluation changes: the box head runs on a third of the ROIs,
# and RoIAlign, mmcv's single-threaded CPU op, is 30 % of inference; the seed-0 transfers of
# the main job, evaluated with tools/test.py: 0.29 / 0.34 / 0.39 s per batch of 4 against
# 0.21 / 0.23 / 0.25, box AP 8.7 / 6.4 / 3.4 against 9.0 / 6.8 / 3.5 from MoCo v2 / BAM /
# random init; the C4 twins, which share these settings, were not re-measured).
scenes_width = 64
scenes_num_classes = 12
scenes_proposals = dict(
    train_cfg=dict(rpn_proposal=dict(nms_pre=300, max_per_img=300),
                   rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100)))
scenes_fpn_model = dict(
    backbone={{_base_.scenes_resnet}},
    neck=dict(in_channels={{_base_.scenes_stage_channels}}, out_channels=scenes_width),
    rpn_head=dict(in_channels=scenes_width, feat_channels=scenes_width),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=scenes_width),
        bbox_head=dict(num_classes=scenes_num_classes, in_channels=scenes_width,
                       conv_out_channels=scenes_width),
        mask_roi_extractor=dict(out_channels=scenes_width),
        mask_head=dict(num_classes=scenes_num_classes, in_channels=scenes_width,
                       conv_out_channels=scenes_width)),
    **scenes_proposals)
# C4: the scenes ResNet-18's res4 has 128 channels and its res5 (the ROI head, mmdet's
# ResLayer at the backbone's width: mls_mm.det.ScaledResLayerExtraNorm) 256
scenes_c4_model = dict(
    backbone={{_base_.scenes_resnet}},
    rpn_head=dict(in_channels={{_base_.scenes_c4_channels}},
                  feat_channels={{_base_.scenes_c4_channels}}),
    roi_head=dict(
        shared_head=dict(type='ScaledResLayerExtraNorm', depth=18,
                         base_channels={{_base_.scenes_base_channels}}),
        bbox_roi_extractor=dict(out_channels={{_base_.scenes_c4_channels}}),
        bbox_head=dict(num_classes=scenes_num_classes,
                       in_channels={{_base_.scenes_feat_channels}})),
    **scenes_proposals)
scenes_c4_mask_model = dict(
    scenes_c4_model,
    roi_head=dict(scenes_c4_model['roi_head'],
                  mask_head=dict(num_classes=scenes_num_classes,
                                 in_channels={{_base_.scenes_feat_channels}},
                                 conv_out_channels=scenes_width)))
