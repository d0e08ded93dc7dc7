from .load_image_strict import LoadImageFromFileStrict

__all__ = ['LoadImageFromFileStrict']
