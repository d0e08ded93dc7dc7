"""Tiny copies of the classification sets of MLS Table 5 in their official layouts.

Each writer puts JPEGs and the official annotation files (text, or MATLAB files written with
scipy as the releases are) under ``root`` and returns the labels it wrote,
``{'train': [...], 'test': [...]}`` (0-based class ids, in the order the files list the
images), so that a test can compare what the config's dataset reads with what was written.
The layouts are the ones mmpretrain 1.2.0's ``CUB``, ``Flowers102``, ``StanfordCars``,
``FGVCAircraft``, ``OxfordIIITPet``, ``DTD``, ``VOC`` and the project's ``Indoor67`` read.

Every writer takes ``plan`` (the images, as ``(split, class id)`` pairs, split ``'train'`` or
``'test'``; default :data:`PLAN`, 4 train + 2 test), ``size`` (``(width, height)`` of the
JPEGs; default 56 x 40) and ``smooth`` (photo-like low-frequency images that compress like
photos, instead of pixel noise). The tests (``tests/test_classification``) use the defaults;
:func:`build_cls_layouts` writes the seven single-label sets at a real size (500 x 375, 32
train + 8 test images each) for ``tools/benchmarks/full_size_configs.py``.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np
import scipy.io as sio

# (split, class id) of the images each layout holds by default: 4 train + 2 test, several
# classes
PLAN = [('train', 0), ('train', 5), ('train', 2), ('train', 1), ('test', 5), ('test', 1)]
SIZE = (56, 40)  # (w, h) of the test images


def make_plan(num_train, num_test, num_classes=8):
    """``num_train`` train then ``num_test`` test images over the first ``num_classes``
    classes (at most 37, the smallest of the seven sets: Oxford Pets)."""
    return ([('train', i % num_classes) for i in range(num_train)] +
            [('test', (3 * i + 1) % num_classes) for i in range(num_test)])


def _jpg(path, seed, size=SIZE, smooth=False):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    w, h = size
    if smooth:
        coarse = rng.integers(0, 255, (max(2, h // 25), max(2, w // 25), 3)).astype(np.float32)
        img = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    else:
        img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    assert cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 90]), path


def _labels(plan):
    out = {'train': [], 'test': []}
    for split, cls in plan:
        out[split].append(cls)
    return out


def _write_lines(path, lines):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def cub(root, plan=PLAN, size=SIZE, smooth=False):
    lines, labels, split_lines = [], [], []
    for i, (split, cls) in enumerate(plan, 1):
        rel = f'{cls + 1:03d}.Class_{cls}/img_{i}.jpg'
        _jpg(osp.join(root, 'images', rel), i, size, smooth)
        lines.append(f'{i} {rel}')
        labels.append(f'{i} {cls + 1}')
        split_lines.append(f'{i} {1 if split == "train" else 0}')
    for name, text in (('images.txt', lines), ('image_class_labels.txt', labels),
                       ('train_test_split.txt', split_lines)):
        _write_lines(osp.join(root, name), text)
    return _labels(plan)


def flowers102(root, plan=PLAN, size=SIZE, smooth=False):
    # trnid + valid = train (trainval): the first half of the train images is trnid, the rest
    # valid, so that trainval lists them in the plan's order; the test images are tstid
    for i in range(1, len(plan) + 1):
        _jpg(osp.join(root, 'jpg', f'image_{i:05d}.jpg'), i, size, smooth)
    sio.savemat(osp.join(root, 'imagelabels.mat'),
                {'labels': np.array([[cls + 1 for _, cls in plan]], dtype=np.uint8)})
    train = [i for i, (split, _) in enumerate(plan, 1) if split == 'train']
    test = [i for i, (split, _) in enumerate(plan, 1) if split == 'test']
    half = len(train) // 2
    sio.savemat(osp.join(root, 'setid.mat'), {
        'trnid': np.array([train[:half]], dtype=np.uint16),
        'valid': np.array([train[half:]], dtype=np.uint16),
        'tstid': np.array([test], dtype=np.uint16)})
    return _labels(plan)


def stanford_cars(root, plan=PLAN, size=SIZE, smooth=False):
    dtype = [('relative_im_path', 'O'), ('class', 'O'), ('test', 'O')]
    annotations = np.zeros((1, len(plan)), dtype=dtype)
    for i, (split, cls) in enumerate(plan):
        rel = f'car_ims/{i + 1:06d}.jpg'
        _jpg(osp.join(root, rel), i, size, smooth)
        annotations[0, i] = (rel, np.array([[cls + 1]], dtype=np.uint8),
                             np.array([[int(split == 'test')]], dtype=np.uint8))
    sio.savemat(osp.join(root, 'cars_annos.mat'), {'annotations': annotations})
    return _labels(plan)


def fgvc_aircraft(root, plan=PLAN, size=SIZE, smooth=False):
    from mmpretrain.datasets.categories import FGVCAIRCRAFT_CATEGORIES
    lines = {'trainval': [], 'test': []}
    for i, (split, cls) in enumerate(plan):
        _jpg(osp.join(root, 'data', 'images', f'{1000000 + i}.jpg'), i, size, smooth)
        lines['trainval' if split == 'train' else 'test'].append(
            f'{1000000 + i} {FGVCAIRCRAFT_CATEGORIES[cls]}')
    for split, text in lines.items():
        _write_lines(osp.join(root, 'data', f'images_variant_{split}.txt'), text)
    return _labels(plan)


INDOOR_CLASSES = ('airport_inside', 'artstudio', 'auditorium', 'bakery', 'bar', 'bathroom')
# the release has 67 class folders; the others stand in for the rest and sort after these six
INDOOR_FOLDERS = INDOOR_CLASSES + tuple(f'class_{i:02d}' for i in range(61))


def indoor67(root, plan=PLAN, size=SIZE, smooth=False):
    lines = {'train': [], 'test': []}
    for name in INDOOR_FOLDERS:  # every class folder exists, as in the release
        os.makedirs(osp.join(root, 'Images', name), exist_ok=True)
    for i, (split, cls) in enumerate(plan):
        rel = f'{INDOOR_FOLDERS[cls]}/img_{i}.jpg'   # INDOOR_FOLDERS is sorted: id = index
        _jpg(osp.join(root, 'Images', rel), i, size, smooth)
        lines[split].append(rel)
    for split, name in (('train', 'TrainImages.txt'), ('test', 'TestImages.txt')):
        _write_lines(osp.join(root, name), lines[split])
    return _labels(plan)


def oxford_pets(root, plan=PLAN, size=SIZE, smooth=False):
    from mmpretrain.datasets.categories import OxfordIIITPet_CATEGORIES
    lines = {'trainval': [], 'test': []}
    for i, (split, cls) in enumerate(plan):
        stem = f'{OxfordIIITPet_CATEGORIES[cls]}_{i}'
        _jpg(osp.join(root, 'images', stem + '.jpg'), i, size, smooth)
        lines['trainval' if split == 'train' else 'test'].append(f'{stem} {cls + 1} 1 1')
    for split, text in lines.items():
        _write_lines(osp.join(root, 'annotations', f'{split}.txt'), text)
    return _labels(plan)


def dtd(root, plan=PLAN, size=SIZE, smooth=False):
    from mmpretrain.datasets.categories import DTD_CATEGORIES
    names, sets = [], []
    train_index = 0   # DTD: 1 train, 2 val, 3 test; trainval = {1, 2}, alternately here
    for i, (split, cls) in enumerate(plan):
        rel = f'{DTD_CATEGORIES[cls]}/{DTD_CATEGORIES[cls]}_{i:04d}.jpg'
        _jpg(osp.join(root, 'images', rel), i, size, smooth)
        names.append(rel)
        if split == 'train':
            sets.append(1 + train_index % 2)
            train_index += 1
        else:
            sets.append(3)
    os.makedirs(osp.join(root, 'imdb'), exist_ok=True)
    sio.savemat(osp.join(root, 'imdb', 'imdb.mat'), {'images': {
        'id': np.arange(1, len(plan) + 1)[None],
        'name': np.array([names], dtype=object),
        'set': np.array([sets], dtype=np.uint8),
        'class': np.array([[cls + 1 for _, cls in plan]], dtype=np.uint8)}})
    return _labels(plan)


VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair',
               'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
               'sheep', 'sofa', 'train', 'tvmonitor')


def voc07(root, plan=PLAN, size=SIZE, smooth=False):
    """VOC2007 with one object per image (plus a difficult 'person' in the fifth image):
    labels are lists of the non-difficult class ids. (The full-size script writes its VOC
    layouts with ``standard_layouts.py`` instead.)"""
    stems = {'trainval': [], 'test': []}
    labels = {'train': [], 'test': []}
    for sub in ('ImageSets/Main', 'Annotations', 'JPEGImages'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    for i, (split, cls) in enumerate(plan):
        stem = f'{i:06d}'
        _jpg(osp.join(root, 'JPEGImages', stem + '.jpg'), i, size, smooth)
        objects = [(VOC_CLASSES[cls], 0)] + ([('person', 1)] if i == 4 else [])
        xml = ''.join(f'<object><name>{n}</name><difficult>{d}</difficult><bndbox><xmin>1'
                      '</xmin><ymin>1</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object>'
                      for n, d in objects)
        with open(osp.join(root, 'Annotations', stem + '.xml'), 'w') as f:
            f.write(f'<annotation><size><width>{size[0]}</width><height>{size[1]}</height>'
                    f'<depth>3</depth></size>{xml}</annotation>')
        stems['trainval' if split == 'train' else 'test'].append(stem)
        labels[split].append([cls])
    for split, text in stems.items():
        _write_lines(osp.join(root, 'ImageSets', 'Main', f'{split}.txt'), text)
    return labels


WRITERS = dict(cub=cub, flowers102=flowers102, stanford_cars=stanford_cars,
               fgvc_aircraft=fgvc_aircraft, indoor67=indoor67, oxford_pets=oxford_pets,
               dtd=dtd, voc07=voc07)

# the seven single-label sets: writer name -> the folder the configs read under data/
DATA_DIRS = dict(cub='CUB_200_2011', flowers102='Flowers102', stanford_cars='Stanford_Cars',
                 fgvc_aircraft='fgvc-aircraft-2013b', indoor67='Indoor67',
                 oxford_pets='Oxford-IIIT_Pets', dtd='dtd')
FULL_SIZE = (500, 375)   # (w, h), a typical photo of these sets
FULL_COUNTS = dict(train=32, test=8)   # batch 16 x 2 iterations
STAMP = '.cls_layouts.json'


def build_cls_layouts(root, size=FULL_SIZE, num_train=FULL_COUNTS['train'],
                      num_test=FULL_COUNTS['test']):
    """Write the seven single-label sets under ``root/<DATA_DIRS[name]>`` (``root`` stands for
    the configs' ``data/``), photo-like JPEGs of ``size``, ``num_train`` train and
    ``num_test`` test images each; skipped when a complete earlier build with the same
    arguments is there. Returns ``root``."""
    stamp = osp.join(root, STAMP)
    want = dict(size=list(size), num_train=num_train, num_test=num_test,
                dirs=DATA_DIRS)
    if osp.isfile(stamp):
        with open(stamp) as f:
            if json.load(f) == want:
                return root
    plan = make_plan(num_train, num_test)
    for name, folder in DATA_DIRS.items():
        target = osp.join(root, folder)
        if osp.isdir(target):   # an older build with other arguments
            import shutil
            shutil.rmtree(target)
        WRITERS[name](target, plan=plan, size=tuple(size), smooth=True)
    os.makedirs(root, exist_ok=True)
    with open(stamp, 'w') as f:
        json.dump(want, f)
    return root
