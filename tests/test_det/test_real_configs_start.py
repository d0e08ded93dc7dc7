"""The real COCO / VOC / Cityscapes transfer configs start on data in their standard layouts.

The built-in scenes are rewritten into each layout (COCO json with COCO class names, VOC
XML + ImageSets, Cityscapes' COCO-format json); each config's own train dataset and pipeline
read a sample, and its detector is built and initialised from an R50 checkpoint through
CheckedPretrained. (A forward pass of R50 at 800-1333 px is left to the scenes twins.)
"""
import json
import os
import os.path as osp
import shutil

import pytest
import torch
from mmdet.registry import DATASETS, MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmpretrain.models import ResNet

import mls_mm  # noqa: F401

CONFIGS = 'configs/benchmarks/mmdetection'
NUM_IMAGES = 4


def _scenes(scenes_root):
    with open(osp.join(scenes_root, 'annotations/instances_train2017.json')) as f:
        coco = json.load(f)
    images = coco['images'][:NUM_IMAGES]
    ids = {image['id'] for image in images}
    return coco, images, [a for a in coco['annotations'] if a['image_id'] in ids]


def _coco_layout(scenes_root, root, names, image_dir, ann_file):
    coco, images, anns = _scenes(scenes_root)
    os.makedirs(osp.join(root, image_dir))
    os.makedirs(osp.dirname(osp.join(root, ann_file)), exist_ok=True)
    for image in images:
        shutil.copy(osp.join(scenes_root, 'train2017', image['file_name']),
                    osp.join(root, image_dir))
    for ann in anns:
        ann['category_id'] = (ann['category_id'] - 1) % len(names) + 1
    cats = [dict(id=i + 1, name=name) for i, name in enumerate(names)]
    with open(osp.join(root, ann_file), 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=cats), f)


def _voc_layout(scenes_root, root, names):
    _, images, anns = _scenes(scenes_root)
    for year in ('VOC2007', 'VOC2012'):
        for sub in ('ImageSets/Main', 'Annotations', 'JPEGImages'):
            os.makedirs(osp.join(root, year, sub))
        stems = []
        for image in images:
            stem = osp.splitext(image['file_name'])[0]
            stems.append(stem)
            shutil.copy(osp.join(scenes_root, 'train2017', image['file_name']),
                        osp.join(root, year, 'JPEGImages', stem + '.jpg'))
            objects = ''.join(
                f'<object><name>{names[(a["category_id"] - 1) % len(names)]}</name>'
                f'<difficult>0</difficult><bndbox><xmin>{a["bbox"][0] + 1:.0f}</xmin>'
                f'<ymin>{a["bbox"][1] + 1:.0f}</ymin><xmax>{a["bbox"][0] + a["bbox"][2]:.0f}'
                f'</xmax><ymax>{a["bbox"][1] + a["bbox"][3]:.0f}</ymax></bndbox></object>'
                for a in anns if a['image_id'] == image['id'])
            with open(osp.join(root, year, 'Annotations', stem + '.xml'), 'w') as f:
                f.write(f'<annotation><size><width>{image["width"]}</width><height>'
                        f'{image["height"]}</height><depth>3</depth></size>{objects}'
                        '</annotation>')
        with open(osp.join(root, year, 'ImageSets/Main/trainval.txt'), 'w') as f:
            f.write('\n'.join(stems) + '\n')


def _train_dataset_cfgs(cfg):
    dataset = cfg.train_dataloader.dataset
    while dataset.type in ('RepeatDataset', 'ClassBalancedDataset'):
        dataset = dataset.dataset
    return dataset.datasets if dataset.type == 'ConcatDataset' else [dataset]


@pytest.mark.parametrize('config,layout', [
    ('coco/mask-rcnn_r50_fpn-syncbn_ms-1x_coco.py', 'coco'),
    ('coco/mask-rcnn_r50-c4-syncbn_ms-1x_coco.py', 'coco'),
    ('voc0712/faster-rcnn_r50-c4-syncbn_ms-24k_voc0712.py', 'voc'),
    ('cityscapes/mask-rcnn_r50_fpn-syncbn_ms-24k_cityscapes.py', 'cityscapes'),
])
def test_real_config_reads_its_layout_and_loads_the_checkpoint(config, layout, repo_root,
                                                               scenes_root, tmp_path):
    register_all_modules()
    cfg = Config.fromfile(osp.join(repo_root, CONFIGS, config))
    datasets = _train_dataset_cfgs(cfg)
    names = DATASETS.get(datasets[0].type).METAINFO['classes']
    root = str(tmp_path / layout)
    if layout == 'coco':
        _coco_layout(scenes_root, root, names, 'train2017', datasets[0].ann_file)
    elif layout == 'cityscapes':
        _coco_layout(scenes_root, root, names, datasets[0].data_prefix.img,
                     datasets[0].ann_file)
    else:
        _voc_layout(scenes_root, root, names)
    for dataset_cfg in datasets:
        dataset_cfg.data_root = root
        dataset_cfg.filter_cfg = dict(dataset_cfg.get('filter_cfg', {}), min_size=0)
        dataset = DATASETS.build(dataset_cfg)
        assert len(dataset) == NUM_IMAGES
        sample = dataset[0]
        short_side = min(sample['inputs'].shape[1:])
        assert 480 <= short_side <= 1024, short_side   # the config's multi-scale resize ran
        assert len(sample['data_samples'].gt_instances) > 0

    torch.manual_seed(0)
    weights = ResNet(depth=50).state_dict()
    checkpoint = str(tmp_path / 'r50.pth')
    torch.save({'state_dict': {'backbone.' + k: v for k, v in weights.items()}}, checkpoint)
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    if 'shared_head' in cfg.model.roi_head:
        cfg.model.roi_head.shared_head.init_cfg.checkpoint = checkpoint
    detector = MODELS.build(cfg.model)
    detector.init_weights()
    state = detector.state_dict()
    for key in ('conv1.weight', 'layer1.0.bn1.running_var', 'layer3.5.conv3.weight'):
        assert torch.equal(state['backbone.' + key], weights[key]), key
    res5 = 'roi_head.shared_head.' if '-c4' in config else 'backbone.'
    assert torch.equal(state[res5 + 'layer4.2.conv3.weight'], weights['layer4.2.conv3.weight'])
