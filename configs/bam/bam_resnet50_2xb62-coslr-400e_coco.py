# BAM + IA-CLoss on COCO, the reference's run: ResNet-50, 400 epochs, 2 GPUs x 62 images,
# c = 0.3, SGD momentum 0.9, wd 1e-4 on all parameters, cosine without warm-up,
# lr = 0.05 x batch x 4 / 256 = 0.096875 (the 4 counts blocks), predictor lr not fixed,
# seed 3407. Departures (stated in _base_/models/bam_resnet50.py): stop-gradient on L_con's
# targets, IA-CLoss over the views of all processes.
_base_ = [
    '../_base_/models/bam_resnet50.py',
    '../_base_/datasets/coco_bs62_bam.py',
    '../_base_/schedules/sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]

lr = 0.05 * 62 * 2 * 4 / 256
max_epochs = 400
optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=1e-4, momentum=0.9))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=124)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
randomness = dict(seed=3407)
