from .feature_queue import FeatureQueue
from .gather import all_gather_with_grad

__all__ = ['FeatureQueue', 'all_gather_with_grad']
