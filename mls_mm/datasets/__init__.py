from .coco_image_dataset import CocoImageDataset
from .coco_multilabel import CocoMultiLabelDataset
from .indoor67 import Indoor67  # noqa: F401 - registers it
from .scene_generator import CATEGORIES, SCENE_TYPES, generate_scenes, image_labels
from .scenes_single_label import ScenesSingleLabelDataset  # noqa: F401 - registers it
from .stanford_cars_checked import StanfordCarsChecked  # noqa: F401 - registers it
from .voc_difficult_positive import VOCDifficultAsPositive  # noqa: F401 - registers it
from .transforms import BlockWiseViews, LoadImageFromFileStrict, block_boxes

__all__ = [
    'BlockWiseViews', 'CocoImageDataset', 'CocoMultiLabelDataset', 'LoadImageFromFileStrict',
    'CATEGORIES', 'block_boxes',
    'SCENE_TYPES', 'generate_scenes', 'image_labels'
]
