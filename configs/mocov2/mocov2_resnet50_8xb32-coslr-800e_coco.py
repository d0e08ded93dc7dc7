# MoCo v2 on COCO for 800 epochs: the baseline row of MLS Table 1 (COCO, 800 ep).
_base_ = './mocov2_resnet50_8xb32-coslr-200e_coco.py'

max_epochs = 800
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
