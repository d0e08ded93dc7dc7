"""The MLS Table 5 fine-tuning configs read their datasets' official layouts and load the weights.

For each of the eight configs (seven single-label sets + VOC07), a tiny copy of the dataset
in its official layout (tools/benchmarks/cls_layouts.py) is read by the config's own
train and test datasets and pipelines; the labels must be the ones written. The classifier is
built, initialised from a fake R50 pretraining checkpoint through CheckedPretrained (weights
compared bit for bit); its training loss on the config's own training samples equals torch's
cross-entropy (VOC07: BCEWithLogitsLoss, mean over images x classes) of its logits, and it
predicts on the test samples. A wrong
data root fails naming the path; the empty checkpoint of the configs refuses to start.
"""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpretrain.models import ResNet
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.utils import register_all_modules

import mls_mm  # noqa: F401 - registers Indoor67, CheckedPretrained
from tools.benchmarks.cls_layouts import WRITERS

CLS = 'configs/benchmarks/classification'
CONFIGS = {
    'cub': ('cub/resnet50_finetune-4xb16-coslr-120e_cub.py', 200),
    'flowers102': ('flowers102/resnet50_finetune-4xb16-coslr-120e_flowers102.py', 102),
    'stanford_cars': ('stanford_cars/resnet50_finetune-4xb16-coslr-120e_stanford-cars.py', 196),
    'fgvc_aircraft': ('fgvc_aircraft/resnet50_finetune-4xb16-coslr-120e_fgvc-aircraft.py', 100),
    'indoor67': ('indoor67/resnet50_finetune-4xb16-coslr-120e_indoor67.py', 67),
    'oxford_pets': ('oxford_pets/resnet50_finetune-4xb16-coslr-120e_oxford-pets.py', 37),
    'dtd': ('dtd/resnet50_finetune-4xb16-coslr-120e_dtd.py', 47),
    'voc07': ('voc07/resnet50_finetune-4xb16-coslr-120e_voc07.py', 20),
}


@pytest.fixture(scope='module')
def r50_checkpoint(tmp_path_factory):
    """A pretraining-style checkpoint (``backbone.*`` keys) of a seeded random ResNet-50."""
    torch.manual_seed(0)
    weights = ResNet(depth=50).state_dict()
    for key in weights:  # distinct BN statistics too, so that a skipped key shows
        if 'running' in key:
            weights[key] = torch.rand_like(weights[key]) + 0.5
    path = str(tmp_path_factory.mktemp('r50') / 'epoch_1.pth')
    torch.save({'state_dict': {'backbone.' + k: v for k, v in weights.items()}}, path)
    return path, weights


def _labels(dataset):
    return [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]


def _norm(labels):
    return [sorted(int(x) for x in v) if hasattr(v, '__len__') else int(v) for v in labels]


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_reads_its_layout_and_loads_the_checkpoint(name, repo_root, tmp_path,
                                                          r50_checkpoint):
    register_all_modules()
    config, num_classes = CONFIGS[name]
    cfg = Config.fromfile(osp.join(repo_root, CLS, config))
    root = str(tmp_path / name)
    written = WRITERS[name](root)

    samples = {}
    for split, loader in (('train', cfg.train_dataloader), ('test', cfg.test_dataloader)):
        loader.dataset.data_root = root
        dataset = DATASETS.build(loader.dataset)
        assert _norm(_labels(dataset)) == _norm(written[split]), split
        if dataset.CLASSES is not None:  # Flowers102 has no class names
            assert len(dataset.CLASSES) == num_classes
        sample = dataset[0]
        assert tuple(sample['inputs'].shape) == (3, 224, 224), split  # 256 short side, 224 crop
        samples[split] = [dataset[i] for i in range(len(dataset))]

    # the whole network from the checkpoint, exactly; nothing frozen
    checkpoint, weights = r50_checkpoint
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    model = MODELS.build(cfg.model)
    model.init_weights()
    state = model.state_dict()
    for key in ('conv1.weight', 'bn1.running_mean', 'layer1.0.bn1.running_var',
                'layer3.5.conv3.weight', 'layer4.2.bn3.weight'):
        assert torch.equal(state['backbone.' + key], weights[key]), key
    assert all(p.requires_grad for p in model.parameters())
    assert model.head.fc.out_features == num_classes
    assert model.backbone.norm_eval == (name == 'voc07')  # the reference's VOC runs in eval

    # the loss is the reference's: cross-entropy, or for VOC07 torch's BCEWithLogitsLoss (mean
    # over images x classes), on the config's own training samples
    model.train()
    with torch.no_grad():
        data = model.data_preprocessor(pseudo_collate(samples['train']), True)
        loss = model(**data, mode='loss')['loss']
        logits = model.head.fc(model.neck(model.backbone(data['inputs']))[-1])
    if name == 'voc07':
        target = torch.zeros(len(written['train']), num_classes)
        for row, classes in enumerate(written['train']):
            target[row, classes] = 1
        expected = F.binary_cross_entropy_with_logits(logits, target)
    else:
        expected = F.cross_entropy(logits, torch.tensor(written['train']))
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-5)

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(pseudo_collate(samples['test']), False)
        preds = model(**data, mode='predict')
    assert len(preds) == len(written['test'])
    assert preds[0].pred_score.shape == (num_classes, )


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_wrong_data_root_fails_naming_it(name, repo_root, tmp_path):
    """Every dataset names the missing path (Stanford Cars through StanfordCarsChecked:
    mmpretrain 1.2.0's own RuntimeError names only its documentation page)."""
    register_all_modules()
    cfg = Config.fromfile(osp.join(repo_root, CLS, CONFIGS[name][0]))
    wrong = str(tmp_path / 'no_such_dataset')
    cfg.train_dataloader.dataset.data_root = wrong
    with pytest.raises((FileNotFoundError, RuntimeError)) as err:
        DATASETS.build(cfg.train_dataloader.dataset)
    assert 'no_such_dataset' in str(err.value), str(err.value)


def test_empty_checkpoint_refuses_to_start(repo_root):
    register_all_modules()
    cfg = Config.fromfile(osp.join(repo_root, CLS, CONFIGS['cub'][0]))
    assert cfg.model.backbone.init_cfg == dict(type='CheckedPretrained', checkpoint='',
                                               prefix='backbone.')
    model = MODELS.build(cfg.model)
    with pytest.raises(ValueError, match='init_cfg.checkpoint is'):
        model.init_weights()


def test_protocol_values(repo_root):
    """The numbers of Cao & Wu's main.py / main_train.sh, as the configs carry them."""
    cfg = Config.fromfile(osp.join(repo_root, CLS, CONFIGS['cub'][0]))
    assert cfg.train_dataloader.batch_size * 4 == 64
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=0.1, momentum=0.9,
                                               weight_decay=5e-4)
    sched, = cfg.param_scheduler
    assert sched.type == 'CosineAnnealingLR' and sched.T_max == 120 and sched.eta_min == 0
    assert sched.convert_to_iter_based
    assert cfg.train_cfg.max_epochs == cfg.train_cfg.val_interval == 120
    assert cfg.default_hooks.checkpoint.save_best is None
    assert cfg.val_evaluator == dict(type='Accuracy', topk=(1, ))
