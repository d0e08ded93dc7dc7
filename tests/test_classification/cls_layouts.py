"""Tiny copies of the classification sets of MLS Table 5 in their official layouts.

Each writer puts a few small JPEGs and the official annotation files (text, or MATLAB files
written with scipy as the releases are) under ``root`` and returns the labels it wrote,
``{'train': [...], 'test': [...]}`` (0-based class ids, in the order the files list the
images), so that a test can compare what the config's dataset reads with what was written.
"""
import os
import os.path as osp

import cv2
import numpy as np
import scipy.io as sio

from mmpretrain.datasets.categories import (DTD_CATEGORIES, FGVCAIRCRAFT_CATEGORIES,
                                            OxfordIIITPet_CATEGORIES)

# (split, class id) of the images each layout holds: 4 train + 2 test, several classes
PLAN = [('train', 0), ('train', 5), ('train', 2), ('train', 1), ('test', 5), ('test', 1)]


def _jpg(path, seed):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.random.default_rng(seed).integers(0, 255, (40, 56, 3), dtype=np.uint8)
    assert cv2.imwrite(path, img), path


def _labels():
    out = {'train': [], 'test': []}
    for split, cls in PLAN:
        out[split].append(cls)
    return out


def cub(root):
    lines, labels, split_lines = [], [], []
    for i, (split, cls) in enumerate(PLAN, 1):
        rel = f'{cls + 1:03d}.Class_{cls}/img_{i}.jpg'
        _jpg(osp.join(root, 'images', rel), i)
        lines.append(f'{i} {rel}')
        labels.append(f'{i} {cls + 1}')
        split_lines.append(f'{i} {1 if split == "train" else 0}')
    for name, text in (('images.txt', lines), ('image_class_labels.txt', labels),
                       ('train_test_split.txt', split_lines)):
        with open(osp.join(root, name), 'w') as f:
            f.write('\n'.join(text) + '\n')
    return _labels()


def flowers102(root):
    # trnid + valid = train (trainval); the last two images are the test split
    for i in range(1, len(PLAN) + 1):
        _jpg(osp.join(root, 'jpg', f'image_{i:05d}.jpg'), i)
    sio.savemat(osp.join(root, 'imagelabels.mat'),
                {'labels': np.array([[cls + 1 for _, cls in PLAN]], dtype=np.uint8)})
    sio.savemat(osp.join(root, 'setid.mat'), {
        'trnid': np.array([[1, 2]], dtype=np.uint16), 'valid': np.array([[3, 4]], dtype=np.uint16),
        'tstid': np.array([[5, 6]], dtype=np.uint16)})
    return _labels()


def stanford_cars(root):
    dtype = [('relative_im_path', 'O'), ('class', 'O'), ('test', 'O')]
    annotations = np.zeros((1, len(PLAN)), dtype=dtype)
    for i, (split, cls) in enumerate(PLAN):
        rel = f'car_ims/{i + 1:06d}.jpg'
        _jpg(osp.join(root, rel), i)
        annotations[0, i] = (rel, np.array([[cls + 1]], dtype=np.uint8),
                             np.array([[int(split == 'test')]], dtype=np.uint8))
    sio.savemat(osp.join(root, 'cars_annos.mat'), {'annotations': annotations})
    return _labels()


def fgvc_aircraft(root):
    lines = {'trainval': [], 'test': []}
    for i, (split, cls) in enumerate(PLAN):
        _jpg(osp.join(root, 'data', 'images', f'{1000000 + i}.jpg'), i)
        lines['trainval' if split == 'train' else 'test'].append(
            f'{1000000 + i} {FGVCAIRCRAFT_CATEGORIES[cls]}')
    for split, text in lines.items():
        with open(osp.join(root, 'data', f'images_variant_{split}.txt'), 'w') as f:
            f.write('\n'.join(text) + '\n')
    return _labels()


INDOOR_CLASSES = ('airport_inside', 'artstudio', 'auditorium', 'bakery', 'bar', 'bathroom')
# the release has 67 class folders; the others stand in for the rest and sort after these six
INDOOR_FOLDERS = INDOOR_CLASSES + tuple(f'class_{i:02d}' for i in range(61))


def indoor67(root):
    lines = {'train': [], 'test': []}
    for name in INDOOR_FOLDERS:  # every class folder exists, as in the release
        os.makedirs(osp.join(root, 'Images', name), exist_ok=True)
    for i, (split, cls) in enumerate(PLAN):
        rel = f'{INDOOR_CLASSES[cls]}/img_{i}.jpg'
        _jpg(osp.join(root, 'Images', rel), i)
        lines[split].append(rel)
    for split, name in (('train', 'TrainImages.txt'), ('test', 'TestImages.txt')):
        with open(osp.join(root, name), 'w') as f:
            f.write('\n'.join(lines[split]) + '\n')
    return _labels()


def oxford_pets(root):
    lines = {'trainval': [], 'test': []}
    for i, (split, cls) in enumerate(PLAN):
        stem = f'{OxfordIIITPet_CATEGORIES[cls]}_{i}'
        _jpg(osp.join(root, 'images', stem + '.jpg'), i)
        lines['trainval' if split == 'train' else 'test'].append(f'{stem} {cls + 1} 1 1')
    os.makedirs(osp.join(root, 'annotations'))
    for split, text in lines.items():
        with open(osp.join(root, 'annotations', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(text) + '\n')
    return _labels()


def dtd(root):
    names, sets = [], []
    train_sets = iter([1, 2, 1, 2])  # DTD: 1 train, 2 val, 3 test; trainval = {1, 2}
    for i, (split, cls) in enumerate(PLAN):
        rel = f'{DTD_CATEGORIES[cls]}/{DTD_CATEGORIES[cls]}_{i:04d}.jpg'
        _jpg(osp.join(root, 'images', rel), i)
        names.append(rel)
        sets.append(next(train_sets) if split == 'train' else 3)
    os.makedirs(osp.join(root, 'imdb'))
    sio.savemat(osp.join(root, 'imdb', 'imdb.mat'), {'images': {
        'id': np.arange(1, len(PLAN) + 1)[None],
        'name': np.array([names], dtype=object),
        'set': np.array([sets], dtype=np.uint8),
        'class': np.array([[cls + 1 for _, cls in PLAN]], dtype=np.uint8)}})
    return _labels()


VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair',
               'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
               'sheep', 'sofa', 'train', 'tvmonitor')


def voc07(root):
    """VOC2007 with one object per image (plus a difficult 'person' in the first test image):
    labels are lists of the non-difficult class ids."""
    stems = {'trainval': [], 'test': []}
    labels = {'train': [], 'test': []}
    for sub in ('ImageSets/Main', 'Annotations', 'JPEGImages'):
        os.makedirs(osp.join(root, sub))
    for i, (split, cls) in enumerate(PLAN):
        stem = f'{i:06d}'
        _jpg(osp.join(root, 'JPEGImages', stem + '.jpg'), i)
        objects = [(VOC_CLASSES[cls], 0)] + ([('person', 1)] if i == 4 else [])
        xml = ''.join(f'<object><name>{n}</name><difficult>{d}</difficult><bndbox><xmin>1'
                      '</xmin><ymin>1</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object>'
                      for n, d in objects)
        with open(osp.join(root, 'Annotations', stem + '.xml'), 'w') as f:
            f.write(f'<annotation><size><width>56</width><height>40</height><depth>3</depth>'
                    f'</size>{xml}</annotation>')
        stems['trainval' if split == 'train' else 'test'].append(stem)
        labels[split].append([cls])
    for split, text in stems.items():
        with open(osp.join(root, 'ImageSets', 'Main', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(text) + '\n')
    return labels


WRITERS = dict(cub=cub, flowers102=flowers102, stanford_cars=stanford_cars,
               fgvc_aircraft=fgvc_aircraft, indoor67=indoor67, oxford_pets=oxford_pets,
               dtd=dtd, voc07=voc07)
