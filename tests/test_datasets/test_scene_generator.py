import filecmp
import json
import os
import os.path as osp
from collections import Counter, defaultdict

import numpy as np
import pytest
from pycocotools.coco import COCO

from mls_mm.datasets import SCENE_TYPES, generate_scenes, image_labels
from mls_mm.datasets.scene_generator import CATEGORIES, category_prior


def _coco(root, split='train'):
    return COCO(osp.join(root, 'annotations', f'instances_{split}2017.json'))


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, b, c = (str(tmp_path / n) for n in 'abc')
    for root, seed in ((a, 3), (b, 3), (c, 4)):
        generate_scenes(root, num_train=5, num_val=2, image_size=64, seed=seed)
    files = sorted(os.listdir(osp.join(a, 'train2017')))
    assert len(files) == 5
    match, mismatch, errors = filecmp.cmpfiles(a, b, [
        f'train2017/{f}' for f in files] + ['annotations/instances_train2017.json',
                                            'annotations/instances_val2017.json'], shallow=False)
    assert not mismatch and not errors
    with open(osp.join(a, 'annotations/instances_train2017.json')) as f1, \
            open(osp.join(c, 'annotations/instances_train2017.json')) as f2:
        assert json.load(f1)['annotations'] != json.load(f2)['annotations']


def test_annotations_valid_masks_match_boxes_and_areas(scenes_root):
    coco = _coco(scenes_root)
    assert len(coco.getCatIds()) == len(CATEGORIES) >= 10
    assert len(coco.getImgIds()) == 64
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        assert osp.isfile(osp.join(scenes_root, 'train2017', info['file_name']))
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        assert 1 <= len(anns) <= 6
        union = np.zeros((info['height'], info['width']), np.int32)
        for ann in anns:
            mask = coco.annToMask(ann)
            union += mask
            assert mask.sum() == ann['area'] > 0
            ys, xs = np.nonzero(mask)
            x, y, w, h = ann['bbox']
            # the box is the tight box of the visible mask (pycocotools' convention)
            assert (x, y) == (xs.min(), ys.min())
            assert (x + w, y + h) == (xs.max() + 1, ys.max() + 1)
            assert ann['area'] <= w * h
        assert union.max() <= 1, 'visible instance masks must not overlap'


def test_occlusion_and_varied_scale(scenes_root):
    coco = _coco(scenes_root)
    overlapping_boxes = 0
    for img_id in coco.getImgIds():
        boxes = [a['bbox'] for a in coco.loadAnns(coco.getAnnIds(imgIds=img_id))]
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                (x1, y1, w1, h1), (x2, y2, w2, h2) = boxes[i], boxes[j]
                if min(x1 + w1, x2 + w2) > max(x1, x2) and min(y1 + h1, y2 + h2) > max(y1, y2):
                    overlapping_boxes += 1
    assert overlapping_boxes > 10  # disjoint masks with overlapping boxes: occlusion
    areas = np.array([a['area'] for a in coco.loadAnns(coco.getAnnIds())])
    assert areas.max() / areas.min() > 8


def test_colour_does_not_identify_a_category(scenes_root):
    """Each instance is drawn in a random dark and a random light grey: the grey level of an
    instance varies (std > 10) and its mean per category is about the same for every category
    (the spread between categories is below the spread within one)."""
    from PIL import Image
    coco = _coco(scenes_root)
    mean_levels = defaultdict(list)
    for ann in coco.loadAnns(coco.getAnnIds()):
        info = coco.loadImgs(ann['image_id'])[0]
        img = np.asarray(Image.open(osp.join(scenes_root, 'train2017', info['file_name'])))
        mean_levels[ann['category_id']].append(img[coco.annToMask(ann) > 0].mean())
    levels = {c: np.array(v) for c, v in mean_levels.items() if len(v) >= 5}
    assert len(levels) >= 6
    within = np.mean([v.std() for v in levels.values()])
    between = np.std([v.mean() for v in levels.values()])
    assert within > 10 and between < within, (within, between)


def test_scene_types_have_different_category_priors(tmp_path):
    assert len(SCENE_TYPES) >= 3
    priors = np.stack([category_prior(s) for s in SCENE_TYPES])
    assert np.allclose(priors.sum(1), 1)
    assert len({tuple(p) for p in priors}) == len(SCENE_TYPES)
    # neither a shape nor a texture alone tells the scene type
    for favoured in SCENE_TYPES.values():
        names = [CATEGORIES[c].split('_') for c in favoured]
        assert len({t for t, _ in names}) == len({s for _, s in names}) == len(favoured)
    root = str(tmp_path / 's')
    generate_scenes(root, num_train=200, num_val=1, image_size=48, seed=0)
    coco = _coco(root)
    counts = {s: Counter() for s in SCENE_TYPES}
    for ann in coco.loadAnns(coco.getAnnIds()):
        scene = coco.loadImgs(ann['image_id'])[0]['scene_type']
        counts[scene][ann['category_id'] - 1] += 1
    for scene, favoured in SCENE_TYPES.items():
        total = sum(counts[scene].values())
        share = sum(counts[scene][c] for c in favoured) / total
        # expected share 8 * 3 / (8 * 3 + 9) = 0.73 before occlusion drops a few
        assert share > 0.6, (scene, share)


def _background_descriptors(root, tint=None):
    """Mean and std (per channel) of the background pixels of each image's left and right
    half: (N, 6) twice. ``tint``: (N, 3) offsets added to each image's background first."""
    from PIL import Image
    coco = _coco(root)
    left, right = [], []
    for row, img_id in enumerate(sorted(coco.getImgIds())):
        info = coco.loadImgs(img_id)[0]
        img = np.asarray(Image.open(osp.join(root, 'train2017', info['file_name'])), np.float64)
        objects = np.zeros(img.shape[:2], bool)
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img_id)):
            objects |= coco.annToMask(ann) > 0
        if tint is not None:
            img = img + (~objects)[..., None] * tint[row]
        half = img.shape[1] // 2
        for out, cols in ((left, slice(0, half)), (right, slice(half, None))):
            pixels = img[:, cols][~objects[:, cols]]
            out.append(np.concatenate([pixels.mean(0), pixels.std(0)]))
    return np.stack(left), np.stack(right)


def _same_image_match_rate(left, right):
    dist = ((left[:, None] - right[None]) ** 2).sum(-1)
    return float((dist.argmin(1) == np.arange(len(left))).mean())


def test_a_crops_background_does_not_tell_its_image(tmp_path):
    """Matching the background of one half of an image to the other halves' backgrounds by
    nearest neighbour finds the same image at about chance (1 / N); the same matcher on
    per-image background colours (generator version 1's shortcut, simulated by a tint) finds
    it almost always, so the test would see the shortcut."""
    root = str(tmp_path / 's')
    num = 100
    generate_scenes(root, num_train=num, num_val=1, image_size=128, seed=5)
    left, right = _background_descriptors(root)
    rate = _same_image_match_rate(left, right)
    assert rate <= 4.0 / num, rate  # chance 0.01; a 100-draw binomial exceeds 0.04 rarely
    tint = np.random.default_rng(0).uniform(-60, 60, size=(num, 3))
    tinted = _same_image_match_rate(*_background_descriptors(root, tint))
    assert tinted > 0.5, tinted


def test_textures_scale_with_their_object(tmp_path):
    """A texture's period is two fifths of its object's extent: the number of colour changes
    along a row through a checkered object does not depend on its size."""
    from mls_mm.datasets.scene_generator import _texture
    rng = np.random.default_rng(0)
    for side in (40, 80):
        tex = _texture(rng, 'checkered', side, side)
        changes = (np.abs(np.diff(tex[side // 2].astype(int), axis=0)).sum(1) > 0).sum()
        assert 4 <= changes <= 6, (side, changes)  # 2 changes per period, 2.5 periods


def test_image_labels_are_the_categories_of_each_images_objects(scenes_root):
    ann_file = osp.join(scenes_root, 'annotations', 'instances_val2017.json')
    coco = COCO(ann_file)
    labels = image_labels(ann_file)
    cat_ids = sorted(coco.getCatIds())
    assert set(labels) == set(coco.getImgIds())
    for img_id, label in labels.items():
        expected = sorted({cat_ids.index(a['category_id'])
                           for a in coco.loadAnns(coco.getAnnIds(imgIds=img_id))})
        assert label == expected
    assert any(len(v) > 1 for v in labels.values())  # really multi-label


@pytest.mark.parametrize('kwargs,key', [
    (dict(num_train=0), 'num_train'),
    (dict(image_size=16), 'image_size'),
    (dict(max_instances=7), 'max_instances'),
    (dict(min_scale=0.6, max_scale=0.5), 'min_scale'),
])
def test_bad_arguments_name_the_argument(tmp_path, kwargs, key):
    with pytest.raises(ValueError, match=key):
        generate_scenes(str(tmp_path), **kwargs)
