# Online kNN multi-label mAP monitor (KNNMonitorHook) for the built-in scenes twins: the
# backbone encodes train2017 (bank) and val2017 (queries) at the 64 px crop size; each query
# votes with its k = 20 nearest bank images, weights exp(cos / 0.07); mAP over the 12 classes
# is logged as knn/mAP (percent). Not a custom_hooks list, so that it combines with a config's
# own hooks; a config includes it with
#
#   _base_ = [..., '../_base_/knn_monitor_scenes.py']
#   custom_hooks = [{{_base_.knn_monitor}}]          # or [..., {{_base_.knn_monitor}}]
#
# Cost, measured with tools/benchmarks/knn_monitor_cost.py on the MoCo v2 twin (2 shared CPU
# cores, monitor and epochs timed in turn in one process): all 512 bank images cost 14 % of a
# training epoch per call (11-18 %), 256 of them (max_bank below) 12 % (10-14 %), so at
# interval 2 (after epochs 2, 4, ..., 10) the monitor adds about 6 % to the 10-epoch run.
# before_training=True (the random-init reference) adds one call, about 1 % more.
# None: the training data's root (train_dataloader.dataset.data_root), so that a twin run on
# another scenes folder monitors on that folder
knn_monitor_data_root = None
knn_monitor = dict(
    type='KNNMonitorHook',
    bank=dict(
        type='CocoMultiLabelDataset',
        data_root=knn_monitor_data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix='train2017/'),
    query=dict(
        type='CocoMultiLabelDataset',
        data_root=knn_monitor_data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix='val2017/'),
    num_classes=12,
    k=20,
    temperature=0.07,
    interval=2,
    image_size=64,
    batch_size=64,
    max_bank=256,
    max_query=None,
    before_training=False)
