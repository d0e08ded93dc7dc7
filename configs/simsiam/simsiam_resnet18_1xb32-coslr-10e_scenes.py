# CPU twin of SimSiam on COCO: the built-in scenes, ResNet-18 (BN: one process), 512-d
# projector, 128-d predictor bottleneck, 64 px crops, 10 epochs, fixed predictor lr.
_base_ = [
    '../_base_/models/simsiam_resnet50.py',
    '../_base_/datasets/scenes_bs32_mocov2.py',
    '../_base_/scenes_runtime.py',
    '../_base_/knn_monitor_scenes.py',
]

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, hid_channels=512, out_channels=512),
    head=dict(predictor=dict(in_channels=512, hid_channels=128, out_channels=512)))

lr = 0.05
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
custom_hooks = [dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr),
                {{_base_.knn_monitor}}]
