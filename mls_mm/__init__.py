"""mls_mm: self-supervised pretraining on multi-object scene images, as an OpenMMLab plugin.

Importing the package registers its components into mmpretrain's registries (configs say
``custom_imports = dict(imports=['mls_mm'], allow_failed_imports=False)``) and applies the
compat fixes of :mod:`mls_mm.compat`.
"""
from . import compat  # noqa: F401
from . import datasets, engine, models, transfer  # noqa: F401
from .version import __version__

__all__ = ['__version__']
