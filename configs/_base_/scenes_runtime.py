# Schedule and runtime of the *_scenes CPU twins: mmpretrain's runtime plus the plugin
# (default_runtime.py) and the SGD + cosine schedule, shortened to 10 epochs of the built-in
# scenes, logging every 4 iterations, a checkpoint every 5 epochs, a fixed seed.
_base_ = ['./default_runtime.py', './schedules/sgd_coslr_200e.py']

lr = 0.06
max_epochs = 10
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(interval=4),
    checkpoint=dict(interval=5, max_keep_ckpts=2))
randomness = dict(seed=0)
