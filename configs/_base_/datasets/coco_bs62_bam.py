# COCO train2017 images with >= 1 annotation (117,266; labels unused), BAM's block-wise views:
# 4 blocks spanning (0.5 + c) of each side, c = 0.3 (the reference's COCO run), each augmented
# by the two asymmetric pipelines into 224 px views (8 views per image), 62 images per GPU.
_base_ = './coco_bs32_mocov2.py'

crop_size = 224
overlap = 0.3


def _bam_pipeline(blur_prob, solarize_prob, size=crop_size):
    return [
        dict(type='RandomResizedCrop', scale=size, crop_ratio_range=(0.2, 1.),
             backend='pillow'),
        dict(type='RandomApply',
             transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                              saturation=0.4, hue=0.1)],
             prob=0.8),
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
             channel_weights=(0.114, 0.587, 0.2989)),
        dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf',
             prob=blur_prob),
        dict(type='Solarize', thr=128, prob=solarize_prob),
        dict(type='RandomFlip', prob=0.5),
    ]


bam_pipelines = [_bam_pipeline(0.5, 0.5), _bam_pipeline(0.1, 0.2)]
train_pipeline = [
    dict(type='LoadImageFromFileStrict'),
    dict(type='BlockWiseViews', overlap=overlap, pipelines=bam_pipelines),
    dict(type='PackInputs', algorithm_keys=['block_index', 'view_image_ids']),
]
train_dataloader = dict(
    batch_size=62,
    dataset=dict(filter_empty=True, pipeline=train_pipeline))
