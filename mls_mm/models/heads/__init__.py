from .bam_head import BAMHead
from .mls_head import MLSHead

__all__ = ['BAMHead', 'MLSHead']
