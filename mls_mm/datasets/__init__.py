from .coco_image_dataset import CocoImageDataset
from .coco_multilabel import CocoMultiLabelDataset
from .scene_generator import CATEGORIES, SCENE_TYPES, generate_scenes, image_labels
from .transforms import LoadImageFromFileStrict

__all__ = [
    'CocoImageDataset', 'CocoMultiLabelDataset', 'LoadImageFromFileStrict', 'CATEGORIES',
    'SCENE_TYPES', 'generate_scenes', 'image_labels'
]
