# CPU twin of coco/mask-rcnn_r50_fpn-syncbn_ms-1x_coco.py on the built-in scenes: the same
# detector and protocol (SyncBN becomes BN in a one-process run, as mmengine's Runner does),
# scaled to 2 CPU cores as ../_base_/scenes_instance.py says (half-width ResNet-18, 64-wide FPN and
# heads, fewer ROIs), 128 px images, batch 4, 3 epochs (384 iterations), lr 0.02 with 100
# warm-up iterations, a step at epoch 2.
# Fine-tune from a pretraining run:
#   bash tools/benchmarks/mmdetection/dist_train.sh THIS_CONFIG work_dirs/<pretraining run> 1
# Random initialisation (the baseline), stated explicitly:
#   python tools/train.py THIS_CONFIG --cfg-options model.backbone.init_cfg=None
_base_ = ['../coco/mask-rcnn_r50_fpn-syncbn_ms-1x_coco.py', '../_base_/scenes_instance.py']

model = {{_base_.scenes_fpn_model}}
train_dataloader = {{_base_.scenes_train_dataloader}}
val_dataloader = {{_base_.scenes_val_dataloader}}
test_dataloader = val_dataloader
val_evaluator = {{_base_.scenes_val_evaluator}}
test_evaluator = val_evaluator

max_epochs = 3
# epochs, where the real config runs detectron2's iteration-based 1x
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[2],
         gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(logger=dict(interval=16), checkpoint=dict(by_epoch=True, interval=max_epochs))
log_processor = dict(by_epoch=True)
auto_scale_lr = dict(base_batch_size=4)
