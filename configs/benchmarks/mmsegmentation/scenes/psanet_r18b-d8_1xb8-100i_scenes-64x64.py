# Scenes twin of ../cityscapes/psanet_r50b-d8_4xb2-40k_cityscapes-512x1024.py: the PSPNet scenes
# twin (same backbone, auxiliary head, data, schedule and protocol, see its header) with the
# decode head swapped for the Cityscapes PSANet config's PSAHead (bi-directional, not compact,
# shrink factor 2, softmax), narrowed as the PSPNet one (512 -> 128 channels) and with
# mask_size (15, 15) for (97, 97): 97 = 2 x 49 - 1 covers the whole shrunk feature map of a
# 769x769 crop from every position; 15 = 2 x 8 - 1 does so for a whole 128x128 scenes image
# (stride 8, shrink 2). tests/test_seg checks that everything else of the head equals the
# Cityscapes config's. mmcv's PSAMask op runs on CPU (forward and backward).
#
# Start from a scenes pretraining run (converted and checked, then fine-tuned; also on a CPU):
#   bash tools/benchmarks/mmsegmentation/dist_train.sh \
#       configs/benchmarks/mmsegmentation/scenes/psanet_r18b-d8_1xb8-100i_scenes-64x64.py \
#       work_dirs/mocov2_resnet18_1xb32-coslr-10e_scenes 1
# From random weights, said explicitly:
#   .venv/bin/python tools/train.py \
#       configs/benchmarks/mmsegmentation/scenes/psanet_r18b-d8_1xb8-100i_scenes-64x64.py \
#       --cfg-options model.backbone.init_cfg=None
_base_ = './pspnet_r18b-d8_1xb8-100i_scenes-64x64.py'

model = dict(
    decode_head=dict(
        _delete_=True,
        type='PSAHead',
        in_channels={{_base_.scenes_feat_channels}},
        in_index=3,
        channels=128,
        mask_size=(15, 15),
        psa_type='bi-direction',
        compact=False,
        shrink_factor=2,
        normalization_factor=1.0,
        psa_softmax=True,
        dropout_ratio=0.1,
        num_classes={{_base_.num_classes}},
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
