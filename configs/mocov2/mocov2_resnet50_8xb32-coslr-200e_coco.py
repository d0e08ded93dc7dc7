# MoCo v2 pretrained on COCO train2017 at its published hyper-parameters: ResNet-50,
# batch 256 (8 x 32), SGD lr 0.03 wd 1e-4, cosine, 200 epochs (model: _base_/models).
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/coco_bs32_mocov2.py',
    '../_base_/schedules/sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]

default_hooks = dict(checkpoint=dict(max_keep_ckpts=3))
