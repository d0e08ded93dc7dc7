from .multi_positive_contrastive import (MultiPositiveContrastiveLoss,
                                         multi_positive_contrastive_loss)

__all__ = ['MultiPositiveContrastiveLoss', 'multi_positive_contrastive_loss']
