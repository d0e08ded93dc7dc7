# Scenes twin of ../cityscapes/pspnet_r50b-d8_4xb2-40k_cityscapes-512x1024.py: the same model,
# recipe and protocol (plain-stem ResNet, SyncBN, norm_eval=False, nothing frozen, weights
# through CheckedPretrained), made small enough to fine-tune on the built-in scenes
# (tools/generate_scenes.py) on a 2-core CPU in minutes, evaluated with mmseg's IoUMetric.
#
# Changes from the Cityscapes config, all of scale:
# - ResNet-18 (the backbone of the scenes pretraining configs) instead of ResNet-50; the heads
#   narrowed as in mmseg's pspnet_r18-d8 configs (decode head 512 -> 128 channels, auxiliary
#   head 256 -> 64 channels);
# - data: ScenesSegDataset (13 classes: background + 12, val2017 for validation), 128x128
#   images, the Cityscapes pipeline scaled to them (random resize 0.5-2.0 of 128x128, 64x64
#   crop = a quarter of the image as 512x1024 is of 2048x1024, flip, photometric distortion;
#   test on the whole 128x128 image);
# - 1 process x 8 images (the Cityscapes global batch, so the same lr 0.01), 100 iterations
#   (poly decay over 100), validation and checkpoint once at the end, log every 10.
#   The output stride stays 8 (dilated stages 3-4): 0.4 to 0.6 s an iteration on 2 free CPU
#   cores, up to 5 s when other trainings share them (2 to 9 minutes with the validation).
#
# Start from a scenes pretraining run (converted and checked, then fine-tuned; also on a CPU):
#   bash tools/benchmarks/mmsegmentation/dist_train.sh \
#       configs/benchmarks/mmsegmentation/scenes/pspnet_r18b-d8_1xb8-100i_scenes-64x64.py \
#       work_dirs/mocov2_resnet18_1xb32-coslr-10e_scenes 1
# From random weights, said explicitly (the empty checkpoint path otherwise stops the run):
#   .venv/bin/python tools/train.py \
#       configs/benchmarks/mmsegmentation/scenes/pspnet_r18b-d8_1xb8-100i_scenes-64x64.py \
#       --cfg-options model.backbone.init_cfg=None
_base_ = ['../cityscapes/pspnet_r50b-d8_4xb2-40k_cityscapes-512x1024.py',
          '../../../_base_/scenes_backbone.py']

max_iters = 100
img_scale = (128, 128)  # the generator's image size
crop_size = (64, 64)  # a quarter of the image, as 512x1024 is of Cityscapes' 2048x1024
num_classes = 13  # background + the 12 scene categories
dataset_type = 'ScenesSegDataset'
data_root = 'data/scenes/'

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone={{_base_.scenes_resnet}},
    decode_head=dict(in_channels={{_base_.scenes_feat_channels}}, channels=128,
                     num_classes=num_classes),
    auxiliary_head=dict(in_channels={{_base_.scenes_c4_channels}}, channels=64,
                        num_classes=num_classes))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=img_scale, ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train2017', seg_map_path='annotations/semantic_train2017'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='val2017', seg_map_path='annotations/semantic_val2017'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters))
