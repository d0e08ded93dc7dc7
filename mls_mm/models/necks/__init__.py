from .avg_max_pooling import AvgMaxPooling
from .mls_neck import MLSNeck

__all__ = ['AvgMaxPooling', 'MLSNeck']
