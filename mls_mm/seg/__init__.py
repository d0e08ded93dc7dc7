"""mmsegmentation side of mls_mm: imported by the mmseg configs only, through
``custom_imports = dict(imports=['mls_mm', 'mls_mm.seg'])``, so that ``import mls_mm`` does not
pay for importing mmseg."""
from .scenes_seg_dataset import ScenesSegDataset

__all__ = ['ScenesSegDataset']
