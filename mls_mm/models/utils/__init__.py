from .feature_queue import FeatureQueue

__all__ = ['FeatureQueue']
