# What the C4 transfer configs (COCO Mask R-CNN, VOC Faster R-CNN) share, MoCo's detectron2
# C4 protocol on mmdet's caffe-C4 bases: pytorch-style ResNet with torchvision's RGB mean/std,
# SyncBN, no frozen stages, norm_eval=False, the res5 ROI head with the extra norm
# (ResLayerExtraNorm) loaded from the checkpoint's layer4. Only `c4_*` variables, so that a config
# can inherit this beside its mmdet base and use them.
c4_imports = ['mls_mm', 'mls_mm.det', 'mmpretrain.models.utils.res_layer_extra_norm']
c4_norm_cfg = dict(type='SyncBN', requires_grad=True)
c4_model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=c4_norm_cfg,
        norm_eval=False,
        style='pytorch',
        # the backbone stops at res4; res5 lives in the ROI head
        init_cfg=dict(type='CheckedPretrained', checkpoint='', prefix='backbone.',
                      ignore_unexpected=[r'^layer4\.'])),
    roi_head=dict(
        shared_head=dict(
            type='ResLayerExtraNorm',
            norm_cfg=c4_norm_cfg,
            norm_eval=False,
            style='pytorch',
            init_cfg=dict(type='CheckedPretrained', checkpoint='', prefix='backbone.',
                          ignore_unexpected=[r'^(conv1|bn1|layer[123])\.'],
                          ignore_missing=[r'^norm\.']))))
