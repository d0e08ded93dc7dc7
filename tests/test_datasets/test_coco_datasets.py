import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from mls_mm.datasets import (CocoImageDataset, CocoMultiLabelDataset, LoadImageFromFileStrict,
                             image_labels)


def test_image_folder_without_annotations_lists_every_image(scenes_root):
    ds = CocoImageDataset(data_root=scenes_root, data_prefix='train2017/')
    files = sorted(os.listdir(osp.join(scenes_root, 'train2017')))
    assert [osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))] == files


def test_annotation_file_filter_empty_and_labels(scenes_root, tmp_path):
    # a copy of the val split with one image stripped of its objects
    root = str(tmp_path / 'coco')
    shutil.copytree(scenes_root, root)
    ann_file = osp.join(root, 'annotations', 'instances_val2017.json')
    with open(ann_file) as f:
        coco = json.load(f)
    emptied = coco['images'][0]['id']
    coco['annotations'] = [a for a in coco['annotations'] if a['image_id'] != emptied]
    with open(ann_file, 'w') as f:
        json.dump(coco, f)

    kw = dict(data_root=root, data_prefix='val2017/',
              ann_file='annotations/instances_val2017.json')
    assert len(CocoImageDataset(**kw)) == 16
    kept = CocoImageDataset(**kw, filter_empty=True, with_labels=True)
    assert len(kept) == 15
    labels = image_labels(ann_file)
    for i in range(len(kept)):
        info = kept.get_data_info(i)
        assert info['img_id'] != emptied
        assert info['gt_label'] == labels[info['img_id']]


def test_multilabel_dataset_multi_hot(scenes_root):
    ds = CocoMultiLabelDataset(data_root=scenes_root, data_prefix='val2017/',
                               ann_file='annotations/instances_val2017.json',
                               pipeline=[dict(type='PackInputs', algorithm_keys=['img_id'])])
    labels = image_labels(osp.join(scenes_root, 'annotations', 'instances_val2017.json'))
    assert len(ds.CLASSES) == 12 and ds.CLASSES[0] == 'striped_disc'
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        expected = np.zeros(12)
        expected[labels[sample.img_id]] = 1
        hot = np.zeros(12)
        hot[sample.gt_label.numpy()] = 1
        assert (hot == expected).all()
        assert ds.get_cat_ids(i) == labels[sample.img_id]


def test_missing_paths_are_named(scenes_root, tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match='nowhere'):
        CocoImageDataset(data_root=missing)
    with pytest.raises(FileNotFoundError, match='instances_nothing.json'):
        CocoImageDataset(data_root=scenes_root, ann_file='annotations/instances_nothing.json')
    with pytest.raises(FileNotFoundError, match='test2017'):
        CocoImageDataset(data_root=scenes_root, data_prefix='test2017/')
    with pytest.raises(FileNotFoundError, match='instances_nothing.json'):
        CocoMultiLabelDataset(data_root=scenes_root, ann_file='annotations/instances_nothing.json')
    with pytest.raises(ValueError, match='ann_file'):
        CocoImageDataset(data_root=scenes_root, filter_empty=True)


def test_misspelt_dataset_key_is_named(scenes_root):
    from mmpretrain.registry import DATASETS
    with pytest.raises(TypeError, match='filter_emtpy'):
        DATASETS.build(dict(type='CocoImageDataset', data_root=scenes_root, filter_emtpy=True))


def _one_image_folder(scenes_root, tmp_path):
    root = tmp_path / 'bad'
    (root / 'train2017').mkdir(parents=True)
    src = osp.join(scenes_root, 'train2017', sorted(os.listdir(osp.join(scenes_root, 'train2017')))[0])
    with open(src, 'rb') as f:
        data = f.read()
    return root, data


def test_truncated_image_fails_and_names_the_file(scenes_root, tmp_path):
    root, data = _one_image_folder(scenes_root, tmp_path)
    (root / 'train2017' / 'cut.jpg').write_bytes(data[:len(data) // 2])
    ds = CocoImageDataset(data_root=str(root),
                          pipeline=[dict(type='LoadImageFromFileStrict')])
    with pytest.raises(OSError, match='cut.jpg'):
        ds[0]


def test_corrupt_and_missing_images_fail_and_name_the_file(scenes_root, tmp_path):
    root, data = _one_image_folder(scenes_root, tmp_path)
    (root / 'train2017' / 'noise.jpg').write_bytes(b'not an image at all' * 10)
    load = LoadImageFromFileStrict()
    with pytest.raises(OSError, match='noise.jpg'):
        load(dict(img_path=str(root / 'train2017' / 'noise.jpg')))
    with pytest.raises(FileNotFoundError, match='gone.jpg'):
        load(dict(img_path=str(root / 'train2017' / 'gone.jpg')))
    (root / 'train2017' / 'ok.jpg').write_bytes(data)
    assert load(dict(img_path=str(root / 'train2017' / 'ok.jpg')))['img'].shape == (64, 64, 3)
    with pytest.raises(ValueError, match='ignore_empty'):
        LoadImageFromFileStrict(ignore_empty=True)
