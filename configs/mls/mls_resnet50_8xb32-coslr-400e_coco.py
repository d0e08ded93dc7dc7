# MLS on COCO train2017, 400 epochs (MLS Tables 1, 2, 5): lr 0.3, wd 1e-4, SGD, cosine.
# [choice] batch 256 = 8 x 32, SGD momentum 0.9, no warm-up, MoCo v2's augmentation at 224 px
# (the paper: "random resized crop, colour jitter, grayscale, flip etc.").
_base_ = [
    '../_base_/models/mls_resnet50.py',
    '../_base_/datasets/coco_bs32_mocov2.py',
    '../_base_/schedules/sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]

lr = 0.3
max_epochs = 400
optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=1e-4, momentum=0.9))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
