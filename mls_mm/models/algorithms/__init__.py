from .bam import BAM
from .mls import MLS

__all__ = ['BAM', 'MLS']
