from .mls_neck import MLSNeck

__all__ = ['MLSNeck']
