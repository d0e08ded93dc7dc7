# MLS on COCO train2017, 800 epochs (MLS Tables 1 and 4).
_base_ = './mls_resnet50_8xb32-coslr-400e_coco.py'

max_epochs = 800
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
