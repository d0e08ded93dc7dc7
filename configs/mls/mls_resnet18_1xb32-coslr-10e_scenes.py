# CPU twin of MLS on COCO: the built-in scenes, ResNet-18 (d_g 512), 64 px crops, D = 1024,
# 10 epochs at the scenes lr (0.06, as the MoCo v2 and SimSiam twins). The image-level labels
# of the scenes feed a label queue that only logs pseudo-label precision (pl_precision) and
# its chance level (pl_chance).
_base_ = [
    '../_base_/models/mls_resnet50.py',
    '../_base_/datasets/scenes_bs32_mocov2.py',
    '../_base_/scenes_runtime.py',
]

model = dict(
    dict_size=1024,
    backbone_dim=512,
    num_classes=12,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))
train_dataloader = dict(dataset=dict(with_labels=True))
