# Faster R-CNN R50-C4 on VOC07+12 trainval, tested on VOC07 test, MoCo's protocol (MLS Table 4,
# BAM's transfer): detectron2's pascal_voc_R_50_C4_24k_moco.yaml written on mmdet's base.
# Departures from mmdet's faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py, all from that protocol:
#   - pytorch-style ResNet with torchvision's RGB mean/std (as the SSL backbones are trained);
#   - SyncBN in the backbone and the res5 ROI head, no frozen stages, norm_eval=False, and the
#     extra norm after res5 (ResLayerExtraNorm); res5 starts from the checkpoint's layer4;
#   - 24k iterations at 16 images, lr 0.02, steps at 18k and 22k, 100 warm-up iterations
#     (mmdet's is 18k with steps 12k/16k); train short side 480-800 step 32, test 800;
#   - "difficult" boxes are training targets, as detectron2's VOC loader has them (mmdet's
#     VOCDataset ignores them in training; both ignore them at test): VOCTrainOnDifficultDataset;
#   - AP over IoU 0.50:0.95 besides AP50 (VOC07 11-point AP at each threshold, as detectron2's
#     PascalVOCDetectionEvaluator reports AP / AP50 / AP75).
# BAM's reference halves the batch to 8 at lr 0.01 on the same schedule: --cfg-options
# train_dataloader.batch_size=1 optim_wrapper.optimizer.lr=0.01 on 8 GPUs.
# Not reproduced: detectron2's precise BN.
_base_ = ['mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py',
          '../_base_/c4_protocol.py']
custom_imports = dict(imports={{_base_.c4_imports}}, allow_failed_imports=False)

model = {{_base_.c4_model}}

voc_train_sets = [
    dict(type='VOCTrainOnDifficultDataset',
         data_root={{_base_.data_root}},
         ann_file=f'{year}/ImageSets/Main/trainval.txt',
         data_prefix=dict(sub_data_root=f'{year}/'),
         filter_cfg=dict(filter_empty_gt=True, min_size=32),
         pipeline={{_base_.train_pipeline}})
    for year in ('VOC2007', 'VOC2012')]
train_dataloader = dict(dataset=dict(datasets=voc_train_sets))

max_iter = 24000
train_cfg = dict(max_iters=max_iter, val_interval=4000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_iter, by_epoch=False,
         milestones=[18000, 22000], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000))
val_evaluator = dict(
    type='VOCMetric', metric='mAP', eval_mode='11points',
    iou_thrs=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
test_evaluator = val_evaluator
