# BAM + IA-CLoss on VOC2012 trainval (the reference's VOC script): 100 epochs, batch 128
# (2 x 64), c = 0.2, lr = 0.05 x 128 x 4 / 256 = 0.1; otherwise as the COCO run.
_base_ = './bam_resnet50_2xb62-coslr-400e_coco.py'

data_root = 'data/VOCdevkit/VOC2012/'
lr = 0.05 * 128 * 4 / 256
max_epochs = 100
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=128)
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        _delete_=True,
        type='VOC',
        data_root=data_root,
        split='trainval',
        pipeline=[
            dict(type='LoadImageFromFileStrict'),
            dict(type='BlockWiseViews', overlap=0.2, pipelines={{_base_.bam_pipelines}}),
            dict(type='PackInputs',
                 algorithm_keys=['block_index', 'view_image_ids']),
        ]))
