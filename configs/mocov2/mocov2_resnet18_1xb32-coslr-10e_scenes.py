# CPU twin of MoCo v2 on COCO: the same model, pipeline and loop on the built-in scenes
# (tools/generate_scenes.py), with ResNet-18, 64 px crops (crop + flip only, see the dataset
# base), 10 epochs, a 256-key queue (8 batches) and EMA momentum 0.01 (m = 0.99): with 16
# iterations per epoch, MoCo's 0.999 would leave the key encoder near its random start for the
# whole run.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/scenes_bs32_mocov2.py',
    '../_base_/scenes_runtime.py',
    '../_base_/knn_monitor_scenes.py',
]

model = dict(
    queue_len=256,
    momentum=0.01,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))
# kNN multi-label mAP of the backbone every 2 epochs (knn/mAP in the log)
custom_hooks = [{{_base_.knn_monitor}}]
