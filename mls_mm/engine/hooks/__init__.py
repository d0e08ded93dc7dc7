from .knn_monitor_hook import KNNMonitorHook
from .mls_warmup_hook import MLSWarmupHook

__all__ = ['KNNMonitorHook', 'MLSWarmupHook']
