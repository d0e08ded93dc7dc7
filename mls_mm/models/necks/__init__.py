from .avg_max_pooling import AvgMaxPooling
from .avg_max_pooling_bn import AvgMaxPoolingBN
from .mls_neck import MLSNeck

__all__ = ['AvgMaxPooling', 'AvgMaxPoolingBN', 'MLSNeck']
