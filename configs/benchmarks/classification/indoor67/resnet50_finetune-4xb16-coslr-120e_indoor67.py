# MLS Table 5, MIT Indoor-67: end-to-end fine-tuning of a pretrained ResNet-50 in the protocol of
# Cao & Wu (arXiv 2103.13559), see ../_base_/resnet50_finetune-4xb16-coslr-120e.py: 120 epochs,
# batch 64 (4 x 16), SGD lr 0.1, momentum 0.9, weight decay 5e-4, cosine per iteration, 224 px
# crops of 256 px (short side) images, top-1 (mmpretrain's Accuracy, accuracy/top1) on the whole
# test split once after the last epoch.
#
# Data: Indoor67, 67 classes; the official split files, TrainImages.txt 5,360 / TestImages.txt 1,340
# (67 x 80 / 67 x 20), read by mls_mm's Indoor67 (mls_mm/datasets/indoor67.py: the official
# lines carry no label, which mmpretrain's CustomDataset needs; the label is the class folder).
# Layout:
#   data/Indoor67/Images/<class>/*.jpg
#   data/Indoor67/{TrainImages,TestImages}.txt
#
# Run (converts and checks the pretraining weights, then fine-tunes on 4 processes):
#   bash tools/benchmarks/mmpretrain/dist_train.sh \
#       configs/benchmarks/classification/indoor67/resnet50_finetune-4xb16-coslr-120e_indoor67.py \
#       work_dirs/RUN 4
_base_ = '../_base_/resnet50_finetune-4xb16-coslr-120e.py'

num_classes = 67
data_root = 'data/Indoor67'
dataset_type = 'Indoor67'

model = dict(
    data_preprocessor=dict(num_classes=num_classes),
    head=dict(num_classes=num_classes))

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='TrainImages.txt'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='TestImages.txt', test_mode=True))
test_dataloader = val_dataloader
