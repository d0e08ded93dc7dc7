"""mmpretrain's StanfordCars with a missing-file error that names the paths it looked for."""
import os.path as osp

from mmpretrain.datasets import StanfordCars
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class StanfordCarsChecked(StanfordCars):
    """``StanfordCars`` (mmpretrain 1.2.0), unchanged, except that a ``data_root`` holding
    neither ``cars_annos.mat`` nor the split's ``devkit/*.mat`` raises ``FileNotFoundError``
    naming both paths (mmpretrain's ``RuntimeError`` names only its documentation page)."""

    def __init__(self, data_root: str, split: str = 'train', **kwargs):
        devkit = ('devkit/cars_test_annos_withlabels.mat' if split == 'test'
                  else 'devkit/cars_train_annos.mat')
        wanted = [osp.join(data_root, 'cars_annos.mat'), osp.join(data_root, devkit)]
        if '://' not in data_root and not any(osp.isfile(p) for p in wanted):
            raise FileNotFoundError(f'Stanford Cars annotations not found under data_root '
                                    f'{data_root}: looked for {wanted[0]} or {wanted[1]}')
        super().__init__(data_root=data_root, split=split, **kwargs)
