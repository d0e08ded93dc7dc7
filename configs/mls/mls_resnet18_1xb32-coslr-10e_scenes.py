# CPU twin of MLS on COCO: the built-in scenes, scaled as every scenes twin is
# (README.md, "The scenes benchmark"): the half-width ResNet-18 of
# ../_base_/scenes_backbone.py (d_g = 256), 64 px views without blur, 10 epochs of 2,048
# images, 32 per step (640 steps), lr 0.06 as the MoCo v2 twin. The image-level labels of the scenes feed a label
# queue that only logs pseudo-label precision (pl_precision) and its chance level (pl_chance).
# Departures of its own, for 640 steps on 2,048 images:
#   - D = 256 (8 batches) and EMA momentum 0.01 (m = 0.99), as the MoCo v2 twin: the paper's
#     4096 / 0.995 would keep keys from a nearly random key encoder for most of so short a run;
#   - k = 2: k scaled with D, so that the pseudo-positives stay about the paper's share of the
#     dictionary (20 of 4096 = 0.49 %; 2 of 256 = 0.78 %, the least k that keeps several labels);
#     k = 20 of 256 would mark 7.8 % of it;
#   - InfoNCE only for the first 3 epochs (MLSWarmupHook, the alternative the paper names):
#     from a random start the k pseudo-positives are random, and their BCE terms pull the
#     projections together.
_base_ = [
    '../_base_/models/mls_resnet50.py',
    '../_base_/datasets/scenes_bs32_mocov2.py',
    '../_base_/scenes_runtime.py',
    '../_base_/knn_monitor_scenes.py',
]

model = dict(
    dict_size=256,
    momentum=0.01,
    backbone_dim={{_base_.scenes_feat_channels}},
    num_classes=12,
    head=dict(topk=2),
    backbone={{_base_.scenes_resnet}},
    neck=dict(in_channels={{_base_.scenes_feat_channels}},
              hid_channels={{_base_.scenes_feat_channels}}))
train_dataloader = dict(dataset=dict(with_labels=True))
custom_hooks = [dict(type='MLSWarmupHook', warmup_epochs=3),
                {{_base_.knn_monitor}}]
