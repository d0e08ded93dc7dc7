# End-to-end fine-tuning of a pretrained ResNet-50 on a small single-label classification set:
# the protocol of MLS (ICCV 2023) Table 5, which fine-tunes "for 120 epochs following" Cao & Wu,
# "Rethinking Self-Supervised Learning: Small is Beautiful" (arXiv 2103.13559). Their code,
# github.com/CupidJay/Scaled-down-self-supervised-learning: main.py (fine-tuning script),
# main_train.sh and README.md ("Fine-tuning stage": `main.py -a resnet50 --lr 0.1
# --batch-size 64 --epochs 120`). What it does, and how it is written here:
#
#   network   torchvision ResNet-50, every layer trained, BN in train mode, new fc
#             -> mmpretrain ResNet-50 (frozen_stages=-1, norm_eval=False), GAP, LinearClsHead
#   loss      cross-entropy -> CrossEntropyLoss
#   optimiser SGD lr 0.1, momentum 0.9, weight decay 5e-4 on every parameter (main.py defaults)
#   batch     64 in total, DataParallel over 4 GPUs (BN sees 16 images) -> 4 processes x 16,
#             plain per-process BN (not SyncBN): the same BN batch of 16
#   schedule  120 epochs, cosine from lr to 0 updated every iteration, no warm-up
#             (adjust_learning_rate with ramps.cosine_rampdown) -> CosineAnnealingLR,
#             convert_to_iter_based=True, eta_min 0
#   train     Resize(256) (short side) + RandomHorizontalFlip + RandomCrop(224) (the default
#             224 px path, --random-resized-crop off) -> ResizeEdge(256) + RandomCrop(224) + flip
#   test      Resize(256) + CenterCrop(224) -> ResizeEdge(256) + CenterCrop(224)
#   norm      ImageNet mean / std, RGB
#   test set  ImageFolder 'val' = the dataset's official test split
#
# Departures (../README.md, "Fine-tuning (MLS Table 5)"):
# - evaluated once, after the last epoch (val_interval = max_epochs), no best checkpoint: the
#   reference evaluates on the test split after every epoch and reports the best epoch;
# - the new fc is mmpretrain's default init, N(0, 0.01) and bias 0 (torchvision: Kaiming-uniform);
# - plain fine-tuning; the repository's README also shows a mixup variant (--mixup --alpha 1.0),
#   not the default of main.py, not used here;
# - the weights are loaded strictly (CheckedPretrained); the reference loads with strict=False.
#
# A dataset config sets num_classes, data_root and the two dataset dicts. The weights are
# required and checked key by key: checkpoint='' stops the run. Launch through
#   bash tools/benchmarks/mmpretrain/dist_train.sh CONFIG PRETRAIN 4
# which converts PRETRAIN (a pretraining work_dir or .pth) and fills init_cfg.checkpoint.
_base_ = '../../../_base_/default_runtime.py'  # mmpretrain's runtime + custom_imports

batch_size = 16  # per process; 4 processes -> 64
lr = 0.1
weight_decay = 5e-4
max_epochs = 120
img_size = 224
resize_size = 256  # short side, before the crop

model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=None,  # set by each dataset config
        mean=[123.675, 116.28, 103.53],  # ImageNet statistics, RGB, as in pretraining
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        frozen_stages=-1,  # the whole network is fine-tuned
        norm_eval=False,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False,  # a plain random ResNet when init_cfg=None is asked for
        init_cfg=dict(type='CheckedPretrained', checkpoint='', prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=None,  # set by each dataset config
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=resize_size, edge='short'),
    dict(type='RandomCrop', crop_size=img_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=resize_size, edge='short'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),  # whole test split, gathered
    dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))  # logged as accuracy/top1
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=lr, momentum=0.9, weight_decay=weight_decay))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0., by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    # no save_best: the test split selects nothing
    checkpoint=dict(type='CheckpointHook', interval=20, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=0)
