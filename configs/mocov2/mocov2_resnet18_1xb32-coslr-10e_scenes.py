# CPU twin of MoCo v2 on COCO: the same model, pipeline and loop on the built-in scenes
# (tools/generate_scenes.py), with ResNet-18, 64 px crops, a 1024-key queue, 10 epochs.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/scenes_bs32_mocov2.py',
    '../_base_/scenes_runtime.py',
]

model = dict(
    queue_len=1024,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))
