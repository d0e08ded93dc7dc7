import numpy as np
import pytest

from mls_mm.datasets import BlockWiseViews, block_boxes


@pytest.mark.parametrize('w,h,c,expected', [
    # s = round((0.5 + c) * side); left/top blocks start at 0, right/bottom end at the side
    (100, 80, 0.2, [(0, 0, 70, 56), (0, 24, 70, 80), (30, 0, 100, 56), (30, 24, 100, 80)]),
    # odd sizes: 0.8 * 101 = 80.8 -> 81 ; 0.8 * 37 = 29.6 -> 30
    (101, 37, 0.3, [(0, 0, 81, 30), (0, 7, 81, 37), (20, 0, 101, 30), (20, 7, 101, 37)]),
    # c = 0: 0.5 * 5 = 2.5 rounds half up to 3 ; 0.5 * 4 = 2
    (5, 4, 0.0, [(0, 0, 3, 2), (0, 2, 3, 4), (2, 0, 5, 2), (2, 2, 5, 4)]),
    # one pixel: every block is the whole image
    (1, 1, 0.3, [(0, 0, 1, 1)] * 4),
])
def test_block_boxes_by_hand(w, h, c, expected):
    assert block_boxes(w, h, c) == expected


def test_neighbouring_blocks_overlap_by_2c():
    (x0, _, x1, _), _, (x2, _, x3, _), _ = block_boxes(1000, 1000, 0.25)
    assert x1 - x2 == 500  # overlap of the left and right blocks = 2c of the side


def _coordinate_image(h, w):
    """Pixel (y, x) holds (y, x, 7), so a crop tells where it came from."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([yy, xx, np.full_like(yy, 7)], axis=-1).astype(np.uint8)


def test_views_are_the_blocks_of_one_decoded_image():
    img = _coordinate_image(40, 50)
    out = BlockWiseViews(pipelines=[[], []], overlap=0.2)(dict(img=img, sample_idx=11))
    assert len(out['img']) == 8
    assert out['block_index'] == [0, 1, 2, 3, 0, 1, 2, 3]
    assert out['view_pipeline'] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert out['view_image_ids'] == [11] * 8
    for k, view in enumerate(out['img']):
        x0, y0, x1, y1 = block_boxes(50, 40, 0.2)[k % 4]
        assert view.shape == (y1 - y0, x1 - x0, 3)
        assert view[0, 0, 0] == y0 and view[0, 0, 1] == x0
        assert np.shares_memory(view, img), 'a block must be a slice, not a copy or re-read'


def test_each_pipeline_makes_its_own_views_even_from_small_images():
    crop = dict(type='RandomResizedCrop', scale=64, backend='pillow')
    flip_all = dict(type='RandomFlip', prob=1.0, direction='horizontal')
    t = BlockWiseViews(pipelines=[[crop], [crop, flip_all]], overlap=0.3)
    out = t(dict(img=_coordinate_image(20, 30), sample_idx=0))  # blocks 24 x 16 < 64
    assert all(v.shape == (64, 64, 3) for v in out['img'])


@pytest.mark.parametrize('kwargs,match', [
    (dict(pipelines=[[], []], overlap=0.5), 'overlap'),
    (dict(pipelines=[[], []], overlap=-0.1), 'overlap'),
    (dict(pipelines=[[], [], []]), 'exactly 2 pipelines'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BlockWiseViews(**kwargs)


def test_a_pipeline_that_does_not_yield_one_view_per_block_is_refused():
    multi = dict(type='MultiView', num_views=2, transforms=[[]])
    t = BlockWiseViews(pipelines=[[multi], []])
    with pytest.raises(ValueError, match='one block into one'):
        t(dict(img=_coordinate_image(20, 20), sample_idx=0, img_path='x.jpg'))
