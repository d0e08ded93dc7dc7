from .mls_warmup_hook import MLSWarmupHook

__all__ = ['MLSWarmupHook']
