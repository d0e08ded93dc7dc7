# CPU twin of cityscapes/mask-rcnn_r50_fpn-syncbn_ms-24k_cityscapes.py on the built-in scenes:
# the same detector and iteration schedule shape (one step at 3/4 of the run), CocoMetric,
# scaled to 2 CPU cores as ../_base_/scenes_instance.py says: 600 iterations of 4 images,
# lr 0.02 (the Cityscapes config's 0.01 is for 8 images of 1024-2048 px).
# Fine-tune: bash tools/benchmarks/mmdetection/dist_train.sh THIS_CONFIG <pretraining run> 1
# Random init: --cfg-options model.backbone.init_cfg=None
_base_ = ['../cityscapes/mask-rcnn_r50_fpn-syncbn_ms-24k_cityscapes.py',
          '../_base_/scenes_instance.py']

model = {{_base_.scenes_fpn_model}}
train_dataloader = {{_base_.scenes_train_dataloader}}
val_dataloader = {{_base_.scenes_val_dataloader}}
test_dataloader = val_dataloader
val_evaluator = {{_base_.scenes_val_evaluator}}
test_evaluator = val_evaluator

max_iter = 600
train_cfg = dict(max_iters=max_iter, val_interval=max_iter)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_iter, by_epoch=False, milestones=[450],
         gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=max_iter))
auto_scale_lr = dict(base_batch_size=4)
