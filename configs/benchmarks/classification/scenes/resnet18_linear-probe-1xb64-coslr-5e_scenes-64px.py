# Scenes twin of ../coco/resnet50_linear-probe-8xb8-coslr-100e_coco-448px.py: the same probe
# (frozen backbone, BN in eval mode, (GAP + GMP) / 2, linear layer initialised N(0, 0.01), BCE
# with logits over images x classes, batch 64, SGD momentum 0.9, no weight decay, cosine,
# RandomResizedCrop + flip, test Resize to a square, mAP + CP ... OF1 at probability 0.5 on the
# whole val set after the last epoch, nothing selected), on the built-in
# scenes (tools/generate_scenes.py: 2,048 train / 256 val images, 12 classes), about 15 s on 2
# idle CPU cores (measured in the scenes benchmark, README.md).
#
# Changes from the COCO config, all of scale:
# - the half-width ResNet-18 of the scenes pretraining configs (256 pooled channels);
# - a parameter-free BatchNorm after the pooling (AvgMaxPoolingBN, MAE's linear probe): with
#   one lr for every backbone, a random ResNet-18's features (mean norm 0.6) against a
#   pretrained one's (24) left the random probe at its initial loss (val mAP 17.7, chance 16.8)
#   while a standardised logistic regression on the same features reached 23.6
#   (tools/benchmarks/scenes_linear_separability.py); with the BatchNorm the probe gives 21.0;
# - 64 px instead of 448 px: RandomResizedCrop(64) + flip of the 128 px scene images, test
#   Resize to 64 x 64 (the crop size of the scenes pretraining; objects 19 to 38 px, a 2 x 2
#   map after layer4). 128 px costs twice the CPU time (about 4 CPU-minutes) and separates
#   more (../README.md): --cfg-options train_dataloader.dataset.pipeline.1.scale=128
#   "val_dataloader.dataset.pipeline.1.scale=(128,128)";
# - 1 process x 64 (the COCO global batch), 5 epochs of 2,048 images (160 iterations), a
#   checkpoint only at the end;
# - lr 0.375 = 2.5 x 12 / 80: the loss is a mean over classes, so each class's weights move
#   with lr / num_classes; this keeps COCO's step per class (2.5 / 80). COCO's lr 2.5 itself
#   overshoots here (from a BAM scenes checkpoint the logged loss rises to 2.4 in epoch 2
#   where 0.375 gives 0.63; final mAP 28.3 against 29.7, one run each, ../README.md; measured
#   in mls_mm 0.2, without the BatchNorm, on generator version 1).
#
# From a scenes pretraining run (weights checked key by key):
#   .venv/bin/python tools/train.py \
#       configs/benchmarks/classification/scenes/resnet18_linear-probe-1xb64-coslr-5e_scenes-64px.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/mocov2_resnet18_1xb32-coslr-10e_scenes/epoch_10.pth
# From random weights, said explicitly (the empty checkpoint path otherwise stops the run):
#   .venv/bin/python tools/train.py \
#       configs/benchmarks/classification/scenes/resnet18_linear-probe-1xb64-coslr-5e_scenes-64px.py \
#       --cfg-options model.backbone.init_cfg=None
_base_ = ['../coco/resnet50_linear-probe-8xb8-coslr-100e_coco-448px.py',
          '../../../_base_/scenes_backbone.py']

num_classes = 12
img_size = 64  # the crop size of the scenes pretraining (images are 128 px)
batch_size = 64  # one process
max_epochs = 5
lr = 2.5 * num_classes / 80  # 0.375
data_root = 'data/scenes/'

model = dict(
    data_preprocessor=dict(num_classes=num_classes),
    backbone={{_base_.scenes_resnet}},
    neck=dict(type='AvgMaxPoolingBN', in_channels={{_base_.scenes_feat_channels}}),
    head=dict(num_classes=num_classes, in_channels={{_base_.scenes_feat_channels}},
              loss=dict(loss_weight=1.0 / num_classes)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    drop_last=True,  # the neck's BatchNorm cannot take a last batch of one image
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
auto_scale_lr = dict(base_batch_size=batch_size)
default_hooks = dict(
    logger=dict(interval=4),
    checkpoint=dict(interval=max_epochs))
