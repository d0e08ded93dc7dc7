"""The scenes benchmark's fairness rules, checked on the resolved configs of the four
pretraining twins (README.md, "The scenes benchmark"): the same images, epochs, batch,
optimiser steps, schedule, optimiser and backbone; views per image differ only by design
(2 for MoCo v2, SimSiam and MLS, 8 for BAM); the same augmentation family, adapted to 64 px
the same way (no blur, colour jitter and grayscale kept)."""
import inspect
import os.path as osp

import pytest
from mmengine.config import Config

from mls_mm.datasets import generate_scenes


ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TWINS = dict(
    mocov2='configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py',
    simsiam='configs/simsiam/simsiam_resnet18_1xb32-coslr-10e_scenes.py',
    mls='configs/mls/mls_resnet18_1xb32-coslr-10e_scenes.py',
    bam='configs/bam/bam_resnet18_1xb32-coslr-10e_scenes.py')
VIEWS = dict(mocov2=2, simsiam=2, mls=2, bam=8)
NUM_TRAIN = inspect.signature(generate_scenes).parameters['num_train'].default  # 2,048


@pytest.fixture(scope='module')
def cfgs():
    return {name: Config.fromfile(osp.join(ROOT, path)) for name, path in TWINS.items()}


def _views(pipeline):
    """Views per image and the flat list of view transforms of a pretraining pipeline."""
    for step in pipeline:
        if step['type'] == 'MultiView':
            chains = [t for t in step['transforms']] * (step['num_views'] //
                                                        len(step['transforms']))
            return step['num_views'], [t for chain in chains for t in chain]
        if step['type'] == 'BlockWiseViews':
            return 4 * len(step['pipelines']), [t for p in step['pipelines'] for t in p]
    raise AssertionError(f'no multi-view step in {pipeline}')


def _steps(cfg):
    loader = cfg.train_dataloader
    assert loader.drop_last
    return cfg.train_cfg.max_epochs * (NUM_TRAIN // loader.batch_size)


def test_same_images_epochs_batch_steps_and_schedule(cfgs):
    facts = {}
    for name, cfg in cfgs.items():
        loader = cfg.train_dataloader
        facts[name] = dict(
            data=(loader.dataset.type, loader.dataset.data_root, loader.dataset.data_prefix,
                  loader.dataset.ann_file, loader.dataset.get('filter_empty')),
            shuffle=loader.sampler.shuffle,
            epochs=cfg.train_cfg.max_epochs, batch=loader.batch_size, steps=_steps(cfg),
            loop=cfg.train_cfg.type,
            schedule=[dict(s) for s in cfg.param_scheduler],
            optimizer=(cfg.optim_wrapper.optimizer.type,
                       cfg.optim_wrapper.optimizer.momentum,
                       cfg.optim_wrapper.optimizer.weight_decay),
            seed=cfg.randomness.seed,
            # the whole backbone but what each method chooses itself (README: zero-init of
            # the residual BN, SimSiam / BAM on; the norm layer's type)
            backbone={k: v for k, v in cfg.model.backbone.items()
                      if k not in ('zero_init_residual', 'norm_cfg')})
    reference = facts['mocov2']
    for name, fact in facts.items():
        assert fact == reference, (name, fact, reference)
    assert reference['steps'] >= 600  # the step budget the benchmark was designed for


def test_views_differ_only_by_design_and_augmentations_alike(cfgs):
    kinds = {}
    for name, cfg in cfgs.items():
        views, transforms = _views(cfg.train_dataloader.dataset.pipeline)
        assert views == VIEWS[name], name
        if name == 'bam':  # each of BAM's two pipelines on its own carries the family
            for pipeline in cfg.train_dataloader.dataset.pipeline[1]['pipelines']:
                assert {'RandomResizedCrop', 'RandomApply', 'RandomGrayscale',
                        'RandomFlip'} <= {t['type'] for t in pipeline}
        types = {t['type'] for t in transforms}
        assert 'GaussianBlur' not in types, name  # blur erases the textures at 64 px
        assert {'RandomResizedCrop', 'RandomApply', 'RandomGrayscale', 'RandomFlip'} <= types
        crops = [t for t in transforms if t['type'] == 'RandomResizedCrop']
        jitters = [t['transforms'][0] for t in transforms if t['type'] == 'RandomApply']
        grays = [t['prob'] for t in transforms if t['type'] == 'RandomGrayscale']
        kinds[name] = ({(c['scale'], tuple(c['crop_ratio_range'])) for c in crops},
                       {tuple(sorted(j.items())) for j in jitters}, set(grays))
    assert len({str(k) for k in kinds.values()}) == 1, kinds
    assert kinds['mocov2'][0] == {(64, (0.2, 1.0))}


def test_the_downstream_twins_take_the_pretraining_backbone(cfgs):
    backbone = {k: cfgs['mocov2'].model.backbone[k]
                for k in ('depth', 'stem_channels', 'base_channels')}
    downstream = [
        'configs/benchmarks/classification/scenes/'
        'resnet18_linear-probe-1xb64-coslr-5e_scenes-64px.py',
        'configs/benchmarks/classification/scenes/resnet18_finetune-1xb32-coslr-4e_scenes-64px.py',
        'configs/benchmarks/mmdetection/scenes/mask-rcnn_r18_fpn_1xb4-3e_scenes.py',
        'configs/benchmarks/mmdetection/scenes/mask-rcnn_r18-c4_1xb4-3e_scenes.py',
        'configs/benchmarks/mmsegmentation/scenes/pspnet_r18b-d8_1xb8-100i_scenes-64x64.py',
        'configs/benchmarks/mmsegmentation/scenes/psanet_r18b-d8_1xb8-100i_scenes-64x64.py',
        'configs/benchmarks/mmdetection/scenes/faster-rcnn_r18-c4_1xb4-600i_scenes.py',
        'configs/benchmarks/mmdetection/scenes/mask-rcnn_r18_fpn_1xb4-600i_scenes.py',
    ]
    for path in downstream:
        cfg = Config.fromfile(osp.join(ROOT, path))
        assert {k: cfg.model.backbone.get(k) for k in backbone} == backbone, path


def test_the_mls_twin_scales_k_with_its_dictionary(cfgs):
    """The twin shrinks D from the paper's 4096 to 256; k shrinks with it, so that the
    pseudo-positives stay about the paper's share of the dictionary (20 / 4096), not 16 times
    it, and still more than one per query."""
    coco = Config.fromfile(osp.join(ROOT, 'configs/mls/mls_resnet50_8xb32-coslr-400e_coco.py'))
    paper_share = coco.model.head.topk / coco.model.dict_size
    assert (coco.model.head.topk, coco.model.dict_size) == (20, 4096)
    twin = cfgs['mls'].model
    share = twin.head.topk / twin.dict_size
    assert twin.head.topk >= 2
    assert paper_share / 2 <= share <= paper_share * 2, (twin.head.topk, twin.dict_size)
