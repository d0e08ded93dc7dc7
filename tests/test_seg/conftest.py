import pytest


@pytest.fixture
def build_scenes_seg():
    """``build(root, split='val', **kwargs)``: a ScenesSegDataset loading images and labels."""
    import mls_mm.seg  # noqa: F401
    from mmseg.registry import DATASETS
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)

    def build(root, split='val', **kwargs):
        return DATASETS.build(dict(
            type='ScenesSegDataset', data_root=root,
            data_prefix=dict(img_path=f'{split}2017',
                             seg_map_path=f'annotations/semantic_{split}2017'),
            pipeline=[dict(type='LoadImageFromFile', _scope_='mmseg'),
                      dict(type='LoadAnnotations', _scope_='mmseg')], **kwargs))

    return build
