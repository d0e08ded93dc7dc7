# The backbone every *_scenes twin shares, pretraining and downstream alike: ResNet-18 at half
# width (stem and base 32 channels instead of 64, so 32-64-128-256 channels in res2-res5 and
# 256 pooled channels). Measured with tools/benchmarks/scenes_step_cost.py on 2 CPU cores: a
# forward + backward of 64 views of 64 px costs 60 ms at width 32 against 204 ms at width 64,
# which buys the 640 optimiser steps per method that the main job needs within its 15 minutes
# (at width 64 the same budget gives about 200). Downstream twins include this file and take
# `scenes_resnet` for their backbone and `scenes_feat_channels` (and the per-stage list) for
# the layers that read it, so that the pretraining checkpoints load key by key.
scenes_base_channels = 32
scenes_resnet = dict(depth=18, stem_channels=32, base_channels=scenes_base_channels)
scenes_stage_channels = [32, 64, 128, 256]  # res2 ... res5
scenes_c4_channels = 128  # res4: the C4 detectors' feature map
scenes_feat_channels = 256  # res5, pooled
# the same with plain BN, for the twins whose COCO config uses SyncBN (SimSiam, BAM) and run
# in one process
scenes_resnet_bn = dict(scenes_resnet, norm_cfg=dict(type='BN'))
# SimSiam-style twins (SimSiam, BAM): projector at the pooled width, predictor bottleneck a
# quarter of it (the paper's 2048 / 512 ratio)
scenes_projector = dict(in_channels=256, hid_channels=256, out_channels=256)
scenes_predictor_head = dict(predictor=dict(in_channels=256, hid_channels=64, out_channels=256))
