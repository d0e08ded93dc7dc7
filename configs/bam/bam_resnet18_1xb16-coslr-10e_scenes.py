# CPU twin of BAM on COCO: the built-in scenes, ResNet-18 (BN: one process), 512-d projector,
# 128-d predictor bottleneck, 64 px views, 16 images per step, 10 epochs at lr 0.05 (the
# SimSiam scenes twin's lr, for a like-for-like comparison).
_base_ = [
    '../_base_/models/bam_resnet50.py',
    '../_base_/datasets/scenes_bs16_bam.py',
    '../_base_/scenes_runtime.py',
    '../_base_/knn_monitor_scenes.py',
]

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, hid_channels=512, out_channels=512),
    head=dict(predictor=dict(in_channels=512, hid_channels=128, out_channels=512)))
optim_wrapper = dict(optimizer=dict(lr=0.05))
# kNN multi-label mAP of the backbone every 2 epochs (knn/mAP in the log)
custom_hooks = [{{_base_.knn_monitor}}]
