"""Image loading that never skips a bad file."""
from mmcv.transforms import LoadImageFromFile
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImageFromFileStrict(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` where a missing, corrupt or truncated file is an error.

    The error names the file. Decoding defaults to Pillow, which reports a truncated JPEG
    (OpenCV decodes it silently into a partly grey image). ``ignore_empty=True`` (skip the
    sample) is refused: a pretraining run must not silently lose images.

    Args:
        imdecode_backend (str): Decoder passed to ``mmcv.imfrombytes``. Defaults to 'pillow'.
        **kwargs: Passed to :class:`mmcv.transforms.LoadImageFromFile`.
    """

    def __init__(self, imdecode_backend: str = 'pillow', **kwargs):
        if kwargs.pop('ignore_empty', False):
            raise ValueError('LoadImageFromFileStrict: ignore_empty=True would skip unreadable '
                             'images silently; fix or remove the files instead')
        super().__init__(imdecode_backend=imdecode_backend, ignore_empty=False, **kwargs)

    def transform(self, results: dict) -> dict:
        filename = results['img_path']
        try:
            return super().transform(results)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f'image file not found: {filename}') from exc
        except Exception as exc:  # noqa: BLE001 - any decoder failure names the file
            raise OSError(f'corrupt or truncated image file {filename}: {exc}') from exc
