"""Python entry points of the plugin's tools (not imported by ``import mls_mm``)."""
from .feature_extraction import extract_features, save_features

__all__ = ['extract_features', 'save_features']
