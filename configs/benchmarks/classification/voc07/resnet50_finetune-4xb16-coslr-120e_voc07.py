# MLS Table 5, VOC07 mAP: end-to-end multi-label fine-tuning of a pretrained ResNet-50 on VOC2007
# trainval (5,011 images) -> VOC2007 test (4,952), 20 classes, in Cao & Wu's VOC protocol
# (github.com/CupidJay/Scaled-down-self-supervised-learning,
# ImageNet_experiments/classification_benchmark/voc_eval/main_voc.py + main_train_voc.sh):
# every parameter trained, but the network kept in eval mode while training (their train()
# calls model.eval(): BN uses and keeps the pretrained running statistics; its affine weights
# train) -> norm_eval=True; BCE with logits (mean over images x classes); SGD lr 0.01, momentum
# 0.9, weight decay 1e-5 (main_voc.py's default); batch 64 (4 x 16); cosine per iteration to 0
# (main_train_voc.sh passes --schedule without --step-lr, so the cosine branch runs);
# Resize(256) + RandomCrop(224) + flip, test Resize(256) + CenterCrop(224); mAP over the
# 20 classes on the whole test set.
#
# Departures: 120 epochs (MLS's fine-tuning length; main_train_voc.sh has 60); mAP once after
# the last epoch, nothing selected (the reference keeps the best epoch on test). "difficult"
# labels are positives in training, as in the reference (VOCDifficultAsPositive: mmpretrain's
# VOC puts only non-difficult classes in gt_label) and ignored at test (VOCAveragePrecision).
# (This is not the linear probe of resnet50_linear-probe-8xb8-coslr-100e_voc12trainval-
# voc07test-224px.py.)
#
# Data: data/VOCdevkit/VOC2007/{JPEGImages,Annotations,ImageSets/Main/{trainval,test}.txt}.
# Run:
#   bash tools/benchmarks/mmpretrain/dist_train.sh \
#       configs/benchmarks/classification/voc07/resnet50_finetune-4xb16-coslr-120e_voc07.py \
#       work_dirs/RUN 4
_base_ = '../_base_/resnet50_finetune-4xb16-coslr-120e.py'

num_classes = 20
lr = 0.01
weight_decay = 1e-5
data_root = 'data/VOCdevkit/VOC2007'
dataset_type = 'VOC'

model = dict(
    data_preprocessor=dict(num_classes=num_classes, to_onehot=True),
    backbone=dict(norm_eval=True),
    head=dict(
        _delete_=True,
        type='MultiLabelLinearClsHead',
        num_classes=num_classes,
        in_channels=2048,
        # mmpretrain sums the BCE over classes and averages over images; 1 / num_classes
        # makes it torch's BCEWithLogitsLoss() (mean over images x classes), the reference's
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0 / num_classes)))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs',
         # VOCAveragePrecision reads the difficult labels from here
         meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                    'flip', 'flip_direction', 'gt_label_difficult')),
]
train_dataloader = dict(
    dataset=dict(type='VOCDifficultAsPositive', data_root=data_root, split='trainval'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VOCAveragePrecision')  # multi-label/mAP
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=weight_decay))
