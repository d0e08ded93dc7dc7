"""The semantic-label maps agree with the COCO masks; old data folders get them; the dataset."""
import filecmp
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from mls_mm.datasets import generate_scenes
from mls_mm.datasets.scene_generator import CATEGORIES
from mls_mm.datasets.scene_semantic import (BACKGROUND, semantic_dir, semantic_maps_complete,
                                             write_semantic_maps)


def _read(path):
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert label is not None, path
    return label


@pytest.mark.parametrize('split', ['train', 'val'])
def test_maps_agree_with_the_coco_masks(scenes_root, split):
    coco = COCO(osp.join(scenes_root, 'annotations', f'instances_{split}2017.json'))
    assert sorted(coco.getCatIds()) == list(range(1, len(CATEGORIES) + 1))
    seen = set()
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        label = _read(osp.join(semantic_dir(scenes_root, split),
                               osp.splitext(info['file_name'])[0] + '.png'))
        assert label.dtype == np.uint8 and label.shape == (info['height'], info['width'])
        union = np.zeros(label.shape, bool)
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img_id)):
            mask = coco.annToMask(ann).astype(bool)
            assert (label[mask] == ann['category_id']).all()
            union |= mask
        assert (label[~union] == BACKGROUND).all()
        for cat_id in range(1, len(CATEGORIES) + 1):  # pixel count = summed annotation area
            area = sum(a['area'] for a in coco.loadAnns(
                coco.getAnnIds(imgIds=img_id, catIds=[cat_id])))
            assert (label == cat_id).sum() == area
        seen |= set(np.unique(label).tolist())
    assert BACKGROUND in seen and len(seen) > 5


def test_maps_are_deterministic_and_an_old_folder_gets_them(tmp_path):
    from tools.generate_scenes import main
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    args = ['--num-train', '3', '--num-val', '1', '--image-size', '48']
    main(['--out', a] + args)
    generate_scenes(b, num_train=3, num_val=1, image_size=48, seed=0)
    names = sorted(os.listdir(semantic_dir(a, 'train')))
    assert len(names) == 3 and semantic_maps_complete(a)
    _, mismatch, errors = filecmp.cmpfiles(semantic_dir(a, 'train'), semantic_dir(b, 'train'),
                                           names, shallow=False)
    assert not mismatch and not errors
    # a folder written before the maps existed: same stamp, no maps -> completed, images kept
    expected = {n: _read(osp.join(semantic_dir(a, 'train'), n)) for n in names}
    shutil.rmtree(semantic_dir(a, 'train'))
    jpg = osp.join(a, 'train2017', '000000000001.jpg')
    mtime = os.stat(jpg).st_mtime_ns
    assert not semantic_maps_complete(a)
    main(['--out', a] + args)
    assert semantic_maps_complete(a)
    assert os.stat(jpg).st_mtime_ns == mtime  # not regenerated
    for n in names:
        np.testing.assert_array_equal(_read(osp.join(semantic_dir(a, 'train'), n)), expected[n])


def test_write_semantic_maps_refuses_too_many_categories(tmp_path):
    import json
    os.makedirs(tmp_path / 'annotations')
    with open(tmp_path / 'annotations' / 'instances_train2017.json', 'w') as f:
        json.dump(dict(images=[], annotations=[],
                       categories=[dict(id=i, name=str(i)) for i in range(300)]), f)
    with pytest.raises(ValueError, match='ignore index'):
        write_semantic_maps(str(tmp_path), 'train')


def test_scenes_seg_dataset_loads(scenes_root, build_scenes_seg):
    ds = build_scenes_seg(scenes_root)
    assert len(ds) == 16
    assert ds.metainfo['classes'] == ('background', ) + CATEGORIES
    assert len(ds.metainfo['palette']) == len(CATEGORIES) + 1
    sample = ds[0]
    assert sample['img'].shape == (64, 64, 3)
    assert sample['gt_seg_map'].shape == (64, 64)
    assert sample['gt_seg_map'].max() <= len(CATEGORIES)
    np.testing.assert_array_equal(sample['gt_seg_map'], _read(sample['seg_map_path']))


def test_scenes_seg_dataset_fails_early(scenes_root, tmp_path, build_scenes_seg):
    with pytest.raises(ValueError, match='reduce_zero_label'):
        build_scenes_seg(scenes_root, reduce_zero_label=True)
    root = tmp_path / 'old'
    shutil.copytree(osp.join(scenes_root, 'val2017'), root / 'val2017')
    os.makedirs(root / 'annotations' / 'semantic_val2017')
    with pytest.raises(FileNotFoundError, match='generate_scenes'):
        build_scenes_seg(str(root))
