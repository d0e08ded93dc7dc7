# CPU twin of SimSiam on COCO: the built-in scenes, scaled as every scenes twin is
# (README.md, "The scenes benchmark"): the half-width ResNet-18 of
# ../_base_/scenes_backbone.py (BN: one process), 64 px views without blur, 10 epochs of
# 2,048 images, 32 per step (640 steps). Its own sizes: a 256-d projector and a 64-d predictor bottleneck (the
# paper's 2048 / 512 ratio), lr 0.05 with the predictor's lr fixed, as the paper.
_base_ = [
    '../_base_/models/simsiam_resnet50.py',
    '../_base_/datasets/scenes_bs32_mocov2.py',
    '../_base_/scenes_runtime.py',
    '../_base_/knn_monitor_scenes.py',
]

model = dict(
    backbone={{_base_.scenes_resnet_bn}},
    neck={{_base_.scenes_projector}},
    head={{_base_.scenes_predictor_head}})

lr = 0.05
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
custom_hooks = [dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr),
                {{_base_.knn_monitor}}]
