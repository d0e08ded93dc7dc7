from .feature_queue import FeatureQueue
from .gather import all_gather_with_grad
from .legacy_queue_keys import convert_legacy_queue_state, legacy_queue_keys

__all__ = ['FeatureQueue', 'all_gather_with_grad', 'convert_legacy_queue_state',
           'legacy_queue_keys']
