"""mmdetection side of mls_mm: imported by the mmdet configs only, through
``custom_imports = dict(imports=['mls_mm', 'mls_mm.det'])``, so that ``import mls_mm`` does not
pay for importing mmdet."""
from .scaled_res_layer import ScaledResLayerExtraNorm
from .voc_train_on_difficult import VOCTrainOnDifficultDataset

__all__ = ['ScaledResLayerExtraNorm', 'VOCTrainOnDifficultDataset']
