# SimSiam pretrained on COCO train2017 at its published hyper-parameters: ResNet-50 (SyncBN),
# batch 256 (8 x 32), SGD lr 0.05 wd 1e-4 momentum 0.9, cosine, 200 epochs, fixed predictor lr,
# MoCo v2's augmentation (as SimSiam's paper).
_base_ = [
    '../_base_/models/simsiam_resnet50.py',
    '../_base_/datasets/coco_bs32_mocov2.py',
    '../_base_/schedules/sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]

lr = 0.05
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
custom_hooks = [dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr)]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
