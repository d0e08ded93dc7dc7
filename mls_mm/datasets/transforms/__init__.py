from .block_wise_views import BlockWiseViews, block_boxes
from .load_image_strict import LoadImageFromFileStrict

__all__ = ['BlockWiseViews', 'LoadImageFromFileStrict', 'block_boxes']
