# MLS (Zhu, Fu, Wu, ICCV 2023): MoCo v2 + Q_g (kNN pseudo-labels) + Q_z (logits), all values
# from the paper (MLS.md) unless marked [choice].
model = dict(
    type='MLS',
    dict_size=4096,          # D, both dictionaries
    backbone_dim=2048,       # d_g: pooled C5 of ResNet-50
    feat_dim=256,            # d_z
    # mmengine EMA: ema = (1 - momentum) * ema + momentum * online -> m = 0.995
    momentum=0.005,
    own_key_positive=False,  # [choice] score before enqueueing (MoCo's order)
    shuffle_bn=True,         # [choice] shuffle-BN in the key encoder, as MoCo
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN'), zero_init_residual=False),
    # [choice] hidden size 2048 (MoCo v2's MLP; the paper does not state it)
    neck=dict(type='MLSNeck', in_channels=2048, hid_channels=2048, out_channels=256,
              with_avg_pool=True),
    head=dict(
        type='MLSHead',
        temperature=0.2,     # tau, shared by InfoNCE and Eq. 9
        topk=20,             # k
        loss_nce=dict(type='CrossEntropyLoss'),
        # Eq. 9, mean over the D entries and the batch; loss_weight is lambda
        loss_ml=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.5)))
