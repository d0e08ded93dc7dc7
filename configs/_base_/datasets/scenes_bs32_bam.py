# The built-in scenes (tools/generate_scenes.py) with BAM's block-wise views at 64 px, for CPUs:
# 32 images (256 views) per step, c = 0.3 as the COCO run. BAM's two asymmetric pipelines,
# adapted to 64 px as every scenes twin is (scenes_bs32_mocov2.py): no Gaussian blur, the rest
# (crop 20-100 % inside the block, colour jitter, grayscale, solarize 0.5 / 0.2, flip) as on
# COCO.
_base_ = './coco_bs62_bam.py'

data_root = 'data/scenes/'


def _bam_pipeline(solarize_prob, size=64):
    return [
        dict(type='RandomResizedCrop', scale=size, crop_ratio_range=(0.2, 1.),
             backend='pillow'),
        dict(type='RandomApply',
             transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                              saturation=0.4, hue=0.1)],
             prob=0.8),
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
             channel_weights=(0.114, 0.587, 0.2989)),
        dict(type='Solarize', thr=128, prob=solarize_prob),
        dict(type='RandomFlip', prob=0.5),
    ]


train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    pin_memory=False,
    dataset=dict(
        data_root=data_root,
        filter_empty=False,  # the same 2,048 images as the other twins (COCO's BAM run: True)
        pipeline=[
            dict(type='LoadImageFromFileStrict'),
            dict(type='BlockWiseViews', overlap=0.3,
                 pipelines=[_bam_pipeline(0.5), _bam_pipeline(0.2)]),
            dict(type='PackInputs',
                 algorithm_keys=['block_index', 'view_image_ids']),
        ]))
