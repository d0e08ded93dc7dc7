from .coco_image_dataset import CocoImageDataset
from .coco_multilabel import CocoMultiLabelDataset
from .scene_generator import CATEGORIES, SCENE_TYPES, generate_scenes, image_labels
from .transforms import BlockWiseViews, LoadImageFromFileStrict, block_boxes

__all__ = [
    'BlockWiseViews', 'CocoImageDataset', 'CocoMultiLabelDataset', 'LoadImageFromFileStrict',
    'CATEGORIES', 'block_boxes',
    'SCENE_TYPES', 'generate_scenes', 'image_labels'
]
