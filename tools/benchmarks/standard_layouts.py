"""Tiny datasets in the standard COCO / VOC / Cityscapes layouts, with real-sized images.

The images and instance masks come from the built-in scene generator
(:func:`mls_mm.datasets.generate_scenes`, square images in COCO's layout); each image is resized
to the layout's size and its masks with it, and the boxes, areas and label maps are recomputed
from the resized masks. Scene category ``k`` (0-based) becomes class ``k`` of the target
dataset (COCO: person, bicycle, ...; VOC: aeroplane, ...; Cityscapes: person, rider, ...,
modulo the number of classes). ``build_layouts(root)`` writes, under ``root``, what the real
configs read under ``data/``::

    coco/{train2017,val2017}/*.jpg, coco/annotations/instances_{train,val}2017.json  640 x 480
    VOCdevkit/VOC{2007,2012}/{JPEGImages,Annotations,ImageSets/Main}               500 x 375
    cityscapes/leftImg8bit/{train,val}/<city>/*_leftImg8bit.png                       2048 x 1024
    cityscapes/gtFine/{train,val}/<city>/*_gtFine_labelTrainIds.png
    cityscapes/annotations/instancesonly_filtered_gtFine_{train,val}.json

and, with :func:`cls_layouts.build_cls_layouts`, the seven single-label fine-tuning sets
(CUB_200_2011, Flowers102, Stanford_Cars, fgvc-aircraft-2013b, Indoor67, Oxford-IIIT_Pets,
dtd) in their official layouts, 32 train + 8 test photo-like JPEGs of 500 x 375 each,
so that a config's ``data/...`` root becomes ``root/...``.
"""
import json
import os
import os.path as osp
import tempfile

import cv2
import numpy as np
from pycocotools import mask as mask_utils

try:   # imported as tools.benchmarks.standard_layouts
    from . import cls_layouts
except ImportError:   # imported with tools/benchmarks on sys.path (full_size_configs.py)
    import cls_layouts

COCO_CLASSES = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
    'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat',
    'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack',
    'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball',
    'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket',
    'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple',
    'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair',
    'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse',
    'remote', 'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink',
    'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier',
    'toothbrush')
# COCO's own category ids (1..90 with gaps)
COCO_IDS = tuple(i for i in range(1, 91) if i not in
                 (12, 26, 29, 30, 45, 66, 68, 69, 71, 83))
VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair',
               'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
               'sheep', 'sofa', 'train', 'tvmonitor')
# the 8 Cityscapes "thing" classes: name, label id (cityscapesscripts), train id
CITYSCAPES_THINGS = (('person', 24, 11), ('rider', 25, 12), ('car', 26, 13),
                     ('truck', 27, 14), ('bus', 28, 15), ('train', 31, 16),
                     ('motorcycle', 32, 17), ('bicycle', 33, 18))
CITYSCAPES_ROAD, CITYSCAPES_SKY = 0, 10   # train ids of the background halves

COCO_SIZE, VOC_SIZE, CITYSCAPES_SIZE = (640, 480), (500, 375), (2048, 1024)   # (w, h)
# images per split: enough for the largest per-GPU batch of each config family (BAM: 62 on
# COCO, 64 on VOC12; the VOC07 fine-tuning: 16)
COUNTS = dict(coco_train=64, coco_val=8, voc12_trainval=64, voc07_trainval=16, voc07_test=8,
              cityscapes_train=2, cityscapes_val=1)
STAMP = '.full_size_layouts.json'


def _scene_items(num, image_size, seed):
    """``num`` scene images as (BGR array, [(category index, bool mask), ...])."""
    from mls_mm.datasets import generate_scenes
    with tempfile.TemporaryDirectory() as tmp:
        generate_scenes(tmp, num_train=num, num_val=0, image_size=image_size, seed=seed)
        with open(osp.join(tmp, 'annotations/instances_train2017.json')) as f:
            coco = json.load(f)
        items = []
        for image in coco['images']:
            img = cv2.imread(osp.join(tmp, 'train2017', image['file_name']))
            objects = [(a['category_id'] - 1, mask_utils.decode(a['segmentation']).astype(bool))
                       for a in coco['annotations'] if a['image_id'] == image['id']]
            items.append((img, objects))
    return items


def _resized(item, size):
    img, objects = item
    out = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
    masks = [(k, cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0)
             for k, m in objects]
    return out, [(k, m) for k, m in masks if m.sum() >= 16]


def _rle(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    bbox = [float(v) for v in mask_utils.toBbox(rle)]
    area = float(mask_utils.area(rle))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle, bbox, area


def _write_json(path, images, annotations, categories):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(info=dict(description='mls_mm full-size benchmark layout'), licenses=[],
                       images=images, annotations=annotations, categories=categories), f)


def write_coco(root, splits):
    """``splits``: {'train': items, 'val': items} -> root/{split}2017, annotations/."""
    categories = [dict(id=i, name=n, supercategory=n) for i, n in zip(COCO_IDS, COCO_CLASSES)]
    image_id = ann_id = 1
    for split, items in splits.items():
        os.makedirs(osp.join(root, f'{split}2017'), exist_ok=True)
        images, annotations = [], []
        for item in items:
            img, objects = _resized(item, COCO_SIZE)
            name = f'{image_id:012d}.jpg'
            cv2.imwrite(osp.join(root, f'{split}2017', name), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
            images.append(dict(id=image_id, file_name=name, width=COCO_SIZE[0],
                               height=COCO_SIZE[1]))
            for k, mask in objects:
                rle, bbox, area = _rle(mask)
                annotations.append(dict(id=ann_id, image_id=image_id, iscrowd=0, bbox=bbox,
                                        area=area, segmentation=rle,
                                        category_id=COCO_IDS[k % len(COCO_IDS)]))
                ann_id += 1
            image_id += 1
        _write_json(osp.join(root, f'annotations/instances_{split}2017.json'), images,
                    annotations, categories)


def write_voc(root, year, splits):
    """``splits``: {'trainval': items, 'test': items} -> root/VOC{year}/..."""
    base = osp.join(root, f'VOC{year}')
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        os.makedirs(osp.join(base, sub), exist_ok=True)
    index = 1
    for split, items in splits.items():
        stems = []
        for item in items:
            img, objects = _resized(item, VOC_SIZE)
            stem = f'{year}_{index:06d}' if year == 2012 else f'{index:06d}'
            index += 1
            stems.append(stem)
            cv2.imwrite(osp.join(base, 'JPEGImages', stem + '.jpg'), img,
                        [cv2.IMWRITE_JPEG_QUALITY, 90])
            xml = [f'<annotation><folder>VOC{year}</folder><filename>{stem}.jpg</filename>'
                   f'<size><width>{VOC_SIZE[0]}</width><height>{VOC_SIZE[1]}</height>'
                   '<depth>3</depth></size><segmented>0</segmented>']
            for k, mask in objects:
                x, y, w, h = _rle(mask)[1]
                xml.append(f'<object><name>{VOC_CLASSES[k % len(VOC_CLASSES)]}</name>'
                           '<pose>Unspecified</pose><truncated>0</truncated>'
                           f'<difficult>0</difficult><bndbox><xmin>{int(x) + 1}</xmin>'
                           f'<ymin>{int(y) + 1}</ymin><xmax>{int(x + w)}</xmax>'
                           f'<ymax>{int(y + h)}</ymax></bndbox></object>')
            with open(osp.join(base, 'Annotations', stem + '.xml'), 'w') as f:
                f.write(''.join(xml) + '</annotation>\n')
        with open(osp.join(base, 'ImageSets/Main', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(stems) + '\n')


def write_cityscapes(root, splits, city='aachen'):
    """``splits``: {'train': items, 'val': items} -> leftImg8bit, gtFine, annotations/."""
    categories = [dict(id=i, name=n) for n, i, _ in CITYSCAPES_THINGS]
    image_id = ann_id = 1
    for split, items in splits.items():
        img_dir = osp.join(root, 'leftImg8bit', split, city)
        gt_dir = osp.join(root, 'gtFine', split, city)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(gt_dir, exist_ok=True)
        images, annotations = [], []
        for item in items:
            img, objects = _resized(item, CITYSCAPES_SIZE)
            stem = f'{city}_{image_id:06d}_000019'
            cv2.imwrite(osp.join(img_dir, f'{stem}_leftImg8bit.png'), img)
            labels = np.full(img.shape[:2], CITYSCAPES_ROAD, np.uint8)
            labels[:img.shape[0] // 2] = CITYSCAPES_SKY
            images.append(dict(id=image_id, file_name=f'{city}/{stem}_leftImg8bit.png',
                               width=CITYSCAPES_SIZE[0], height=CITYSCAPES_SIZE[1]))
            for k, mask in objects:
                _, label_id, train_id = CITYSCAPES_THINGS[k % len(CITYSCAPES_THINGS)]
                labels[mask] = train_id
                rle, bbox, area = _rle(mask)
                annotations.append(dict(id=ann_id, image_id=image_id, iscrowd=0, bbox=bbox,
                                        area=area, segmentation=rle, category_id=label_id))
                ann_id += 1
            cv2.imwrite(osp.join(gt_dir, f'{stem}_gtFine_labelTrainIds.png'), labels)
            image_id += 1
        _write_json(osp.join(root, f'annotations/instancesonly_filtered_gtFine_{split}.json'),
                    images, annotations, categories)


def build_layouts(root, seed=0):
    """Write the three layouts under ``root`` (skipped when a complete earlier build with the
    same counts and seed is there), and the seven classification sets (skipped likewise,
    :func:`cls_layouts.build_cls_layouts`). Returns ``root``."""
    cls_layouts.build_cls_layouts(root)
    stamp = osp.join(root, STAMP)
    want = dict(counts=COUNTS, seed=seed, sizes=[COCO_SIZE, VOC_SIZE, CITYSCAPES_SIZE])
    if osp.isfile(stamp):
        with open(stamp) as f:
            if json.load(f) == json.loads(json.dumps(want)):
                return root
    c = COUNTS
    items = _scene_items(c['coco_train'] + c['coco_val'] + c['voc12_trainval'] +
                         c['voc07_trainval'] + c['voc07_test'], 512, seed)

    def take(n):
        taken = items[:n]
        del items[:n]
        return taken

    write_coco(osp.join(root, 'coco'), dict(train=take(c['coco_train']),
                                           val=take(c['coco_val'])))
    write_voc(osp.join(root, 'VOCdevkit'), 2012, dict(trainval=take(c['voc12_trainval'])))
    write_voc(osp.join(root, 'VOCdevkit'), 2007, dict(trainval=take(c['voc07_trainval']),
                                                      test=take(c['voc07_test'])))
    city = _scene_items(c['cityscapes_train'] + c['cityscapes_val'], 1024, seed + 1)
    write_cityscapes(osp.join(root, 'cityscapes'),
                     dict(train=city[:c['cityscapes_train']], val=city[c['cityscapes_train']:]))
    with open(stamp, 'w') as f:
        json.dump(want, f)
    return root
