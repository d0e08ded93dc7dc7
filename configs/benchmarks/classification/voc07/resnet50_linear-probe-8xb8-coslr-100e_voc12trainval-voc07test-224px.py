# Multi-label linear probe on PASCAL VOC in BAM's protocol (arXiv 2506.23156, see ../README.md):
# train on VOC2012 trainval (11,540 images), test on VOC2007 test (4,952), 20 classes, 224 px,
# lr 0.25; the rest as ../coco/resnet50_linear-probe-8xb8-coslr-100e_coco-448px.py (frozen
# ResNet-50 with BN in eval mode, (GAP + GMP) / 2, linear layer initialised N(0, 0.01), BCE with
# logits over images x classes, batch 64 = 8 x 8, SGD momentum 0.9, weight decay 0, cosine over
# 100 epochs, RandomResizedCrop + flip, test Resize to 224 x 224, metrics on the whole test set
# after the last epoch, nothing selected on it).
#
# "difficult" labels (a class whose only objects in the image are marked difficult), as the
# usual VOC protocol has it:
# - test: ignored. VOCAveragePrecision / VOCMultiLabelMetric (difficult_as_positive=None) mark
#   them -1, and mmpretrain's AP and precision / recall leave those image-class pairs out;
#   a class with a difficult and a non-difficult object is a positive;
# - training: negatives (mmpretrain's VOC dataset puts only non-difficult classes in
#   gt_label). The reference trains them as positives; a departure (../README.md).
#
# Data: data/VOCdevkit/VOC2012 and data/VOCdevkit/VOC2007 ({JPEGImages,Annotations,
# ImageSets/Main}). Weights are required and checked (CheckedPretrained):
#   bash tools/dist_train.sh \
#       configs/benchmarks/classification/voc07/resnet50_linear-probe-8xb8-coslr-100e_voc12trainval-voc07test-224px.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/RUN/epoch_400.pth
_base_ = '../coco/resnet50_linear-probe-8xb8-coslr-100e_coco-448px.py'

num_classes = 20
img_size = 224
lr = 0.25
dataset_type = 'VOC'

model = dict(
    data_preprocessor=dict(num_classes=num_classes),
    head=dict(num_classes=num_classes, loss=dict(loss_weight=1.0 / num_classes)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs',
         # the VOC metrics read the difficult labels from here
         meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                    'flip', 'flip_direction', 'gt_label_difficult')),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root='data/VOCdevkit/VOC2012',
        split='trainval',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root='data/VOCdevkit/VOC2007',
        split='test',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='VOCAveragePrecision'),  # mAP, difficult labels ignored
    dict(type='VOCMultiLabelMetric', thr=0.5, average='macro'),  # CP, CR, CF1
    dict(type='VOCMultiLabelMetric', thr=0.5, average='micro'),  # OP, OR, OF1
]
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=lr))
