# TensorBoard logging for any config: mmpretrain's UniversalVisualizer writing to the local
# backend (vis_data/scalars.json, as without this file) and to TensorBoard
# (<work_dir>/<timestamp>/vis_data/events.out.tfevents.*: loss, lr, knn/mAP, ... every
# default_hooks.logger.interval iterations). Needs `pip install tensorboard`.
#
# The runtime bases already define `visualizer` (and mmpretrain's `vis_backends`), and mmengine
# refuses a key that two bases both define, so this file defines its own names only; a config
# uses them as it uses knn_monitor_scenes.py:
#
#   _base_ = [..., '../_base_/tensorboard.py']
#   visualizer = {{_base_.tensorboard_visualizer}}
#
# then `tensorboard --logdir work_dirs/<config name>`.
tensorboard_vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
tensorboard_visualizer = dict(type='UniversalVisualizer', vis_backends=tensorboard_vis_backends)
