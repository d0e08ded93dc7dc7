# detectron2's "1x" schedule, as MoCo's COCO detection protocol runs it: 90k iterations at 16
# images (8 GPUs x 2), lr 0.02 (mmdet's base), steps at 60k and 80k (x 0.1), 1000 linear
# warm-up iterations from 0.001 x lr, one evaluation at the end. mmdet's "1x" is 12 epochs
# (about 88k iterations, 500 warm-up iterations). Only `d2_1x_*` variables, so that a config can
# inherit this beside its mmdet base and use them.
d2_1x_max_iters = 90000
d2_1x_train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=d2_1x_max_iters,
                       val_interval=d2_1x_max_iters)
d2_1x_param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', begin=0, end=d2_1x_max_iters, by_epoch=False,
         milestones=[60000, 80000], gamma=0.1),
]
d2_1x_train_sampler = dict(type='InfiniteSampler', shuffle=True)
d2_1x_default_hooks = dict(checkpoint=dict(by_epoch=False, interval=10000))
d2_1x_log_processor = dict(by_epoch=False)
