"""The built-in scenes as an mmseg semantic-segmentation dataset."""
import os.path as osp
from typing import List

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from mls_mm.datasets.scene_generator import CATEGORIES

# Background black; the 12 categories in tab20-like colours, one hue per shape and three
# shades per texture (CATEGORIES is shape-major: striped, checkered, dotted of each shape).
_PALETTE = [[0, 0, 0],
            [31, 119, 180], [94, 158, 208], [158, 198, 232],    # disc
            [214, 39, 40], [230, 105, 106], [243, 170, 170],     # square
            [44, 160, 44], [105, 197, 105], [170, 226, 170],     # triangle
            [255, 127, 14], [255, 170, 98], [255, 210, 170]]     # cross


@DATASETS.register_module()
class ScenesSegDataset(BaseSegDataset):
    """Semantic segmentation on the built-in scenes (``mls_mm.datasets.generate_scenes``).

    Reads ``data_root/{split}2017/*.jpg`` with the label maps
    ``data_root/annotations/semantic_{split}2017/*.png`` that the generator renders from the
    COCO instances files: ``0`` background, ``k`` (1 to 12) the category of COCO id ``k``
    (``CATEGORIES[k - 1]``), 255 ignored. So background is a class (13 classes in all) and
    ``reduce_zero_label`` must stay False.

    Args:
        img_suffix (str): Defaults to '.jpg'.
        seg_map_suffix (str): Defaults to '.png'.
        reduce_zero_label (bool): Must be False, see above. Defaults to False.
        **kwargs: :class:`mmseg.datasets.BaseSegDataset`'s arguments (``data_root``,
            ``data_prefix=dict(img_path='train2017',
            seg_map_path='annotations/semantic_train2017')``, ``pipeline``, ...).

    Raises:
        ValueError: ``reduce_zero_label=True`` (it would turn background into ignore).
        FileNotFoundError: an image without its label map, e.g. a scenes folder written before
            the maps existed (``tools/generate_scenes.py`` adds them).
    """
    METAINFO = dict(classes=('background', ) + CATEGORIES, palette=_PALETTE)

    def __init__(self, img_suffix='.jpg', seg_map_suffix='.png', reduce_zero_label=False,
                 **kwargs) -> None:
        if reduce_zero_label:
            raise ValueError('reduce_zero_label=True would make background (label 0) ignored; '
                             'the scenes label maps count it as a class')
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if not data_list:
            raise FileNotFoundError(f'no {self.img_suffix} images in '
                                    f'{self.data_prefix.get("img_path")}')
        missing = [d['seg_map_path'] for d in data_list
                   if 'seg_map_path' in d and not osp.isfile(d['seg_map_path'])]
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} of {len(data_list)} label maps are missing, e.g. {missing[0]}; '
                'run tools/generate_scenes.py on this folder to render them')
        return data_list
