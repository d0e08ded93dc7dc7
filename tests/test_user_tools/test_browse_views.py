"""tools/visualizations/browse_views.py: a PNG of images x views for BAM (8 views) and MoCo v2
(2 views), the view counts derived here from the pipeline configs; each cell shows the view
that the seeded pipeline makes; the same seed gives the same bytes."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import set_random_seed
from PIL import Image

from tools.visualizations import browse_views

BAM = 'configs/bam/bam_resnet18_1xb32-coslr-10e_scenes.py'
MOCOV2 = 'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py'
CELL = 66  # 64 px inside the 1 px border: the 64 px views at 1:1


def expected_views(pipeline) -> int:
    """Views per image from the pipeline config alone: BAM's 4 blocks x its pipelines, or
    MultiView's num_views (an int, or one count per transform list)."""
    for t in pipeline:
        if t['type'] == 'BlockWiseViews':
            return 4 * len(t['pipelines'])
        if t['type'] == 'MultiView':
            n = t['num_views']
            return n * len(t['transforms']) if isinstance(n, int) else sum(n)
    return 1


def _run(repo_root, scenes_root, config, out, seed, num_images=3):
    browse_views.main([osp.join(repo_root, config), '--num-images', str(num_images),
                       '--out', str(out), '--seed', str(seed), '--cell-size', str(CELL),
                       '--cfg-options', f'train_dataloader.dataset.data_root={scenes_root}'])
    return Image.open(out)


@pytest.mark.parametrize('config, views', [(BAM, 8), (MOCOV2, 2)])
def test_grid_is_images_by_views_and_shows_the_views(repo_root, scenes_root, tmp_path, config,
                                                     views):
    cfg = Config.fromfile(osp.join(repo_root, config))
    cols = expected_views(cfg.train_dataloader.dataset.pipeline)
    assert cols == views  # the config says what the paper says
    png = _run(repo_root, scenes_root, config, tmp_path / 'v.png', seed=3)
    assert png.format == 'PNG'
    assert png.size == (cols * CELL, 3 * CELL)
    assert png.info['Description'].count('train2017') == 3  # one row per image, paths named
    if cols == 8:
        assert 'b1 p1, b2 p1, b3 p1, b4 p1, b1 p2, b2 p2, b3 p2, b4 p2' in png.info['Description']

    # each cell shows its view: the same seeded samples taken here, nearest-upscaled
    dataset = browse_views.build_dataset(osp.join(repo_root, config),
                                         {'train_dataloader.dataset.data_root': scenes_root})
    set_random_seed(3)
    grid = np.asarray(png.convert('RGB')).astype(int)
    for r in range(3):
        sample = dataset[r]['inputs']
        assert len(sample) == cols
        for c, view in enumerate(sample):
            view = view.numpy().transpose(1, 2, 0)[..., ::-1].astype(int)   # BGR -> RGB
            h, w = view.shape[:2]
            # the cell sampled at the centre of each view pixel (nearest-neighbour upscaling)
            ys = r * CELL + 1 + ((np.arange(h) + 0.5) * (CELL - 2) / h).astype(int)
            xs = c * CELL + 1 + ((np.arange(w) + 0.5) * (CELL - 2) / w).astype(int)
            close = np.abs(grid[np.ix_(ys, xs)] - view).max(axis=-1) <= 2
            assert close.mean() >= 0.98, (r, c, close.mean())


def test_same_seed_same_bytes_other_seed_other_views(repo_root, scenes_root, tmp_path):
    _run(repo_root, scenes_root, BAM, tmp_path / 'a.png', seed=5, num_images=2)
    _run(repo_root, scenes_root, BAM, tmp_path / 'b.png', seed=5, num_images=2)
    _run(repo_root, scenes_root, BAM, tmp_path / 'c.png', seed=6, num_images=2)
    a, b, c = ((tmp_path / n).read_bytes() for n in ('a.png', 'b.png', 'c.png'))
    assert a == b
    pixels = [np.asarray(Image.open(tmp_path / n).convert('RGB')) for n in ('a.png', 'c.png')]
    assert not np.array_equal(*pixels)


def test_bad_arguments_are_named(repo_root, scenes_root, tmp_path, capsys):
    with pytest.raises(SystemExit):
        browse_views.main([osp.join(repo_root, BAM), '--out', str(tmp_path / 'v.jpg')])
    assert 'the picture is written as .png' in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match='config file not found: .*nope.py'):
        browse_views.main([str(tmp_path / 'nope.py')])
    with pytest.raises(ValueError, match='--num-images 99 but the dataset has 64 images'):
        _run(repo_root, scenes_root, MOCOV2, tmp_path / 'v.png', seed=0, num_images=99)
