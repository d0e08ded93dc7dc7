# MoCo v2 (Chen et al., arXiv 2003.04297): queue 65536, 128-d MLP head, tau 0.2,
# key-encoder EMA m = 0.999. mmengine's EMA convention is
# ema = (1 - momentum) * ema + momentum * online, so momentum=0.001 is MoCo's m = 0.999.
model = dict(
    type='MoCo',
    queue_len=65536,
    feat_dim=128,
    momentum=0.001,
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(type='MoCoV2Neck', in_channels=2048, hid_channels=2048, out_channels=128,
              with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2))
