# CPU twin of BAM on COCO: the built-in scenes, scaled as every scenes twin is
# (README.md, "The scenes benchmark"): the half-width ResNet-18 of
# ../_base_/scenes_backbone.py (BN: one process), BAM's 8 block views of 64 px without blur,
# 10 epochs of 2,048 images, 32 per step (640 steps), the SimSiam twin's sizes (256-d projector, 64-d predictor
# bottleneck) and lr 0.05, for a like-for-like comparison with its base.
_base_ = [
    '../_base_/models/bam_resnet50.py',
    '../_base_/datasets/scenes_bs32_bam.py',
    '../_base_/scenes_runtime.py',
    '../_base_/knn_monitor_scenes.py',
]

model = dict(
    backbone={{_base_.scenes_resnet_bn}},
    neck={{_base_.scenes_projector}},
    head={{_base_.scenes_predictor_head}})
optim_wrapper = dict(optimizer=dict(lr=0.05))
# kNN multi-label mAP of the backbone every 2 epochs (knn/mAP in the log)
custom_hooks = [{{_base_.knn_monitor}}]
