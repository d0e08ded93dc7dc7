# Multi-label linear probe on COCO (train2017 -> val2017, 80 classes, 448 px), the protocol of
# BAM (arXiv 2506.23156, see ../README.md): frozen ResNet-50 with BN in eval mode, the last
# feature map pooled as (GAP + GMP) / 2, one linear layer (= a 1 x 1 conv on the pooled map) to
# the 80 classes initialised N(0, 0.01), BCE with logits averaged over images and classes;
# batch 64 (8 processes x 8), SGD lr 2.5, momentum 0.9, weight decay 0, cosine over 100 epochs;
# RandomResizedCrop(448) + flip for training, Resize to 448 x 448 for testing.
#
# Metrics on the whole of val2017 (mmengine gathers every process's predictions before
# computing; DefaultSampler's padding is cut off), once, after the last epoch; the reported
# number is that of the last epoch (nothing is selected on val2017, which is the test set):
#   multi-label/mAP                                  mean over classes of AP (AveragePrecision)
#   multi-label/{precision,recall,f1-score}          CP, CR, CF1 (macro over classes)
#   multi-label/{precision,recall,f1-score}_micro    OP, OR, OF1 (over all image-class pairs)
# CP ... OF1 count a label as predicted when its probability sigmoid(logit) >= thr = 0.5 (the
# reference thresholds raw logits at 0.6, i.e. probability 0.646: not copied). mmpretrain's
# macro F1 is the mean of the per-class F1s; the CF1 of ML-GCN's tables, 2 CP CR / (CP + CR),
# follows from the logged CP and CR.
#
# The backbone weights are required and checked key by key (CheckedPretrained): an empty path
# stops the run. From a pretraining run of this project:
#   bash tools/dist_train.sh \
#       configs/benchmarks/classification/coco/resnet50_linear-probe-8xb8-coslr-100e_coco-448px.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/RUN/epoch_800.pth
# (prefix='' for a file written by tools/model_converters/extract_backbone.py); from random
# weights, said explicitly: --cfg-options model.backbone.init_cfg=None
_base_ = '../../../_base_/default_runtime.py'  # mmpretrain's runtime + custom_imports

num_classes = 80
img_size = 448
batch_size = 8  # per process; 8 processes -> 64
lr = 2.5
max_epochs = 100
prob_thr = 0.5  # on sigmoid probabilities, for CP / CR / CF1 / OP / OR / OF1
data_root = 'data/coco/'
dataset_type = 'CocoMultiLabelDataset'

model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=num_classes,
        mean=[123.675, 116.28, 103.53],  # ImageNet statistics, RGB, as in pretraining
        std=[58.395, 57.12, 57.375],
        to_rgb=True,
        to_onehot=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        frozen_stages=4,  # stem + all four stages: no gradients, eval mode
        norm_eval=True,  # BN uses (and never updates) the pretrained running statistics
        norm_cfg=dict(type='BN'),
        # a training-from-scratch trick; off so that the random-init baseline is a plain
        # random ResNet (CheckedPretrained turns it off anyway when it loads weights)
        zero_init_residual=False,
        init_cfg=dict(type='CheckedPretrained', checkpoint='', prefix='backbone.')),
    neck=dict(type='AvgMaxPooling'),
    head=dict(
        type='MultiLabelLinearClsHead',
        num_classes=num_classes,
        in_channels=2048,
        # mmpretrain sums the BCE over classes and averages over images; loss_weight
        # 1 / num_classes makes it torch's BCEWithLogitsLoss() (mean over images x classes),
        # the loss the lr 2.5 was set for
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0 / num_classes),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01, bias=0.)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),  # both sides, aspect ratio not kept
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix='train2017',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix='val2017',
        # the 4,952 images with at least one object, as the usual COCO multi-label protocol
        # (images listed by their annotations) has it
        filter_empty=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='AveragePrecision'),  # mAP
    dict(type='MultiLabelMetric', thr=prob_thr, average='macro'),  # CP, CR, CF1
    dict(type='MultiLabelMetric', thr=prob_thr, average='micro'),  # OP, OR, OF1
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=lr, momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    # no save_best: the test set picks nothing
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2, save_best=None))
randomness = dict(seed=0)
