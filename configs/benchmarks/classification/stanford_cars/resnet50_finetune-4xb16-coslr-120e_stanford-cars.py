# MLS Table 5, Stanford Cars: end-to-end fine-tuning of a pretrained ResNet-50 in the protocol of
# Cao & Wu (arXiv 2103.13559), see ../_base_/resnet50_finetune-4xb16-coslr-120e.py: 120 epochs,
# batch 64 (4 x 16), SGD lr 0.1, momentum 0.9, weight decay 5e-4, cosine per iteration, 224 px
# crops of 256 px (short side) images, top-1 (mmpretrain's Accuracy, accuracy/top1) on the whole
# test split once after the last epoch.
#
# Data: mmpretrain's StanfordCars, 196 classes; train 8,144 / test 8,041 (StanfordCarsChecked:
# the same class, with an error naming the missing annotation files).
# Layout:
#   data/Stanford_Cars/car_ims/*.jpg and Stanford_Cars/cars_annos.mat, or
#   data/Stanford_Cars/{cars_train,cars_test}/*.jpg and
#   data/Stanford_Cars/devkit/{cars_train_annos,cars_test_annos_withlabels}.mat
#
# Run (converts and checks the pretraining weights, then fine-tunes on 4 processes):
#   bash tools/benchmarks/mmpretrain/dist_train.sh \
#       configs/benchmarks/classification/stanford_cars/resnet50_finetune-4xb16-coslr-120e_stanford-cars.py \
#       work_dirs/RUN 4
_base_ = '../_base_/resnet50_finetune-4xb16-coslr-120e.py'

num_classes = 196
data_root = 'data/Stanford_Cars'
dataset_type = 'StanfordCarsChecked'

model = dict(
    data_preprocessor=dict(num_classes=num_classes),
    head=dict(num_classes=num_classes))

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = val_dataloader
