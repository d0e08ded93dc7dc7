# CPU twin of voc0712/faster-rcnn_r50-c4-syncbn_ms-24k_voc0712.py on the built-in scenes: the
# same detector, iteration schedule shape (steps at 3/4 and 11/12 of the run) and VOC07
# 11-point AP at IoU 0.50:0.95, scaled to 2 CPU cores as ../_base_/scenes_instance.py says:
# 600 iterations of 4 images, lr 0.02.
# Fine-tune: bash tools/benchmarks/mmdetection/dist_train.sh THIS_CONFIG <pretraining run> 1
# Random init: --cfg-options model.backbone.init_cfg=None model.roi_head.shared_head.init_cfg=None
_base_ = ['../voc0712/faster-rcnn_r50-c4-syncbn_ms-24k_voc0712.py',
          '../_base_/scenes_instance.py']

model = {{_base_.scenes_c4_model}}
train_dataloader = {{_base_.scenes_train_dataloader}}
val_dataloader = {{_base_.scenes_val_dataloader}}
test_dataloader = val_dataloader

max_iter = 600
train_cfg = dict(max_iters=max_iter, val_interval=max_iter)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_iter, by_epoch=False, milestones=[450, 550],
         gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=max_iter))
auto_scale_lr = dict(base_batch_size=4)
