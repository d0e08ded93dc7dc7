# MLS Table 5, CUB-200-2011: end-to-end fine-tuning of a pretrained ResNet-50 in the protocol of
# Cao & Wu (arXiv 2103.13559), see ../_base_/resnet50_finetune-4xb16-coslr-120e.py: 120 epochs,
# batch 64 (4 x 16), SGD lr 0.1, momentum 0.9, weight decay 5e-4, cosine per iteration, 224 px
# crops of 256 px (short side) images, top-1 (mmpretrain's Accuracy, accuracy/top1) on the whole
# test split once after the last epoch.
#
# Data: mmpretrain's CUB, 200 classes; train 5,994 / test 5,794 (train_test_split.txt).
# Layout:
#   data/CUB_200_2011/images/<class>/*.jpg
#   data/CUB_200_2011/{images,image_class_labels,train_test_split}.txt
#
# Run (converts and checks the pretraining weights, then fine-tunes on 4 processes):
#   bash tools/benchmarks/mmpretrain/dist_train.sh \
#       configs/benchmarks/classification/cub/resnet50_finetune-4xb16-coslr-120e_cub.py \
#       work_dirs/RUN 4
_base_ = '../_base_/resnet50_finetune-4xb16-coslr-120e.py'

num_classes = 200
data_root = 'data/CUB_200_2011'
dataset_type = 'CUB'

model = dict(
    data_preprocessor=dict(num_classes=num_classes),
    head=dict(num_classes=num_classes))

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test', test_mode=True))
test_dataloader = val_dataloader
