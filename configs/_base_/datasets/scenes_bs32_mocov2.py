# The built-in scenes (tools/generate_scenes.py) for the CPU twins: MoCo v2's two-view
# augmentation at 64 px, 32 images per step. The same family as the COCO config (crop of
# 20-100 %, colour jitter 0.4/0.4/0.4/0.1 at p 0.8, grayscale 0.2, flip) less one transform:
# Gaussian blur, as the MoCo CIFAR-10 demo and lightly's CIFAR-10 benchmark drop it at low
# resolution: a blur of sigma up to 2 px at 64 px smooths away stripes 2-4 px wide, the
# finest the generator draws in a whole-image view (not re-measured on generator version 2).
# The scenes are grey: grayscale and the saturation / hue parts of the jitter change nothing
# on them; brightness and contrast do. Every twin (MoCo v2, SimSiam, MLS; BAM in
# scenes_bs32_bam.py) is adapted this same way; see README.md, "The scenes benchmark".
_base_ = './coco_bs32_mocov2.py'

data_root = 'data/scenes/'
crop_size = 64
view_pipeline = [
    dict(type='RandomResizedCrop', scale=crop_size, crop_ratio_range=(0.2, 1.),
         backend='pillow'),
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                          saturation=0.4, hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = dict(
    num_workers=2,
    persistent_workers=True,
    pin_memory=False,
    dataset=dict(
        data_root=data_root,
        pipeline=[
            dict(type='LoadImageFromFileStrict'),
            dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
            dict(type='PackInputs'),
        ]))
