# Schedule and runtime of the *_scenes CPU twins: mmpretrain's runtime plus the plugin
# (default_runtime.py) and the SGD + cosine schedule. The scenes benchmark's fairness rules
# (README.md, "The scenes benchmark") live here, so that the four pretraining twins
# cannot drift apart: the same 2,048 images, 10 epochs of 32 images per step (640 optimiser
# steps), cosine decay by epoch, SGD momentum 0.9, weight decay 1e-4, one seed. Only the
# learning rate differs: the scenes twins' values of mls_mm 0.2, not re-tuned (MoCo v2 / MLS
# 0.06, SimSiam / BAM 0.05 at batch 32; the papers' linear scaling would give 0.004 / 0.006 /
# 0.025, too small for 640 steps).
_base_ = ['./default_runtime.py', './schedules/sgd_coslr_200e.py', './scenes_backbone.py']

lr = 0.06
max_epochs = 10
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(interval=8),
    checkpoint=dict(interval=5, max_keep_ckpts=2))
randomness = dict(seed=0)
