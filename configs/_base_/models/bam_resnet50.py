# BAM + IA-CLoss (arXiv 2506.23156) on SimSiam: ResNet-50 (zero-init residual; SyncBN in
# multi-GPU runs), SimSiam's 3-layer projector and 2048-512-2048 predictor,
# L = L_con + 4 * L_clu with IA-CLoss at tau 0.3 / tau_b 0.07.
model = dict(
    type='BAM',
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN'),
                  zero_init_residual=True),
    # Linear(no bias)-BN-ReLU x 2, Linear-BN(affine=False)
    neck=dict(type='NonLinearNeck', in_channels=2048, hid_channels=2048, out_channels=2048,
              num_layers=3, with_last_bn_affine=False, with_avg_pool=True),
    head=dict(
        type='BAMHead',
        # Linear(2048, 512, no bias)-BN-ReLU, Linear(512, 2048)
        predictor=dict(type='NonLinearNeck', in_channels=2048, hid_channels=512,
                       out_channels=2048, with_avg_pool=False, with_last_bn=False,
                       with_last_bias=True),
        loss_con=dict(type='CosineSimilarityLoss'),
        loss_clu=dict(type='MultiPositiveContrastiveLoss', temperature=0.3,
                      base_temperature=0.07, form='ia', loss_weight=4.0),
        # Departure from the reference code, which stops no gradient anywhere: SimSiam's
        # stop-gradient on the targets of L_con (set False to reproduce the reference).
        stop_grad=True,
        # Departure: gather the views of all processes for IA-CLoss (every anchor sees its 7
        # positives); False is the reference's per-process loss (1 to 7 positives).
        gather_features=True))
