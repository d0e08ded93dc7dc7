"""MIT Indoor-67 through its official split files (``TrainImages.txt`` / ``TestImages.txt``)."""
import os
import os.path as osp
from typing import List

from mmengine.fileio import list_from_file
from mmpretrain.datasets import CustomDataset
from mmpretrain.registry import DATASETS


NUM_CLASSES = 67


@DATASETS.register_module()
class Indoor67(CustomDataset):
    """MIT Indoor-67 (Quattoni and Torralba, CVPR 2009), single-label, 67 classes.

    The official release is ``Images/<class>/<file>.jpg`` plus the split files
    ``TrainImages.txt`` (5,360 lines) and ``TestImages.txt`` (1,340 lines), one
    ``<class>/<file>.jpg`` per line and no label: the label is the class folder. mmpretrain's
    :class:`CustomDataset` wants ``<file> <label>`` lines, so this subclass reads the official
    lines instead. Classes are the 67 sub-folders of ``Images/``, sorted (so ids do not depend
    on the split file; another number of folders raises ``ValueError``); a line whose folder
    is not one of them raises ``ValueError`` naming the line.

    Args:
        data_root (str): The folder holding ``Images/`` and the split files.
        ann_file (str): ``'TrainImages.txt'`` or ``'TestImages.txt'`` (relative to
            ``data_root``).
        data_prefix (str): Image folder relative to ``data_root``. Defaults to ``'Images'``.
        **kwargs: Passed to :class:`mmpretrain.datasets.CustomDataset`.
    """

    def __init__(self, data_root: str, ann_file: str, data_prefix: str = 'Images', **kwargs):
        if not osp.isdir(data_root):
            raise FileNotFoundError(f'Indoor67: data_root not found: {data_root}')
        image_dir = osp.join(data_root, data_prefix)
        if not osp.isdir(image_dir):
            raise FileNotFoundError(f'Indoor67: image folder not found: {image_dir}')
        classes = sorted(d for d in os.listdir(image_dir)
                         if osp.isdir(osp.join(image_dir, d)))
        if len(classes) != NUM_CLASSES:
            raise ValueError(f'Indoor67: {image_dir} has {len(classes)} class folders, the '
                             f'release has {NUM_CLASSES}')
        metainfo = kwargs.pop('metainfo', None) or dict(classes=tuple(classes))
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix,
                         metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'Indoor67: split file not found: {self.ann_file}')
        index = {name: i for i, name in enumerate(self.CLASSES)}
        data_list = []
        for number, line in enumerate(list_from_file(self.ann_file), 1):
            line = line.strip()
            if not line:
                continue
            folder = line.split('/', 1)[0]
            if '/' not in line or folder not in index:
                raise ValueError(f'Indoor67: {self.ann_file} line {number} {line!r} is not '
                                 f'<class>/<file> with a class folder of {self.img_prefix}')
            data_list.append(dict(img_path=osp.join(self.img_prefix, line),
                                  gt_label=index[folder]))
        return data_list
