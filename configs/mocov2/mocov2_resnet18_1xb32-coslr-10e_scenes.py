# CPU twin of MoCo v2 on COCO: the same model, pipeline and loop on the built-in scenes
# (tools/generate_scenes.py), scaled as every scenes twin is (README.md, "The scenes
# benchmark"): the half-width ResNet-18 of ../_base_/scenes_backbone.py, 64 px views without
# blur, 10 epochs of 2,048 images, 32 per step (640 steps). Departures of its own, for 640 steps on 2,048 images:
# a 256-key queue (8 batches, an eighth of the data set; 65,536 keys would be 32 copies of it, all
# stale) and EMA
# momentum 0.01 (m = 0.99, as the MoCo CIFAR-10 demo): MoCo's 0.999 would leave the key
# encoder near its random start for most of the run.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/scenes_bs32_mocov2.py',
    '../_base_/scenes_runtime.py',
    '../_base_/knn_monitor_scenes.py',
]

model = dict(
    queue_len=256,
    momentum=0.01,
    backbone={{_base_.scenes_resnet}},
    neck=dict(in_channels={{_base_.scenes_feat_channels}},
              hid_channels={{_base_.scenes_feat_channels}}))
# kNN multi-label mAP of the backbone every 2 epochs (knn/mAP in the log)
custom_hooks = [{{_base_.knn_monitor}}]
