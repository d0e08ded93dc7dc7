"""Reading COCO instances files: one place for the checks and the image-level labels."""
import json
import os.path as osp
from typing import Dict, List


def load_coco_json(ann_file: str) -> dict:
    """Read a COCO instances file, failing with its path when it is missing or malformed."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file not found: {ann_file}')
    try:
        with open(ann_file) as f:
            coco = json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f'annotation file {ann_file} is not valid JSON: {exc}') from exc
    for key in ('images', 'categories'):
        if key not in coco:
            raise ValueError(f'annotation file {ann_file} has no "{key}" list')
    return coco


def coco_image_labels(coco: dict) -> Dict[int, List[int]]:
    """Image-level multi-labels of a loaded COCO instances dict.

    Returns:
        dict: image id -> sorted list of *class indices* (0-based, in the order of
        ``coco['categories']``) of the objects it contains; images without objects map to ``[]``.
    """
    cat_index = {c['id']: i for i, c in enumerate(coco['categories'])}
    labels = {img['id']: set() for img in coco['images']}
    for ann in coco.get('annotations', []):
        labels[ann['image_id']].add(cat_index[ann['category_id']])
    return {k: sorted(v) for k, v in labels.items()}
