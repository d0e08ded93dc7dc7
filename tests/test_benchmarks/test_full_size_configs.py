"""tools/benchmarks/full_size_configs.py: its override configs change only the data roots, the
loop, validation and logging of the real configs; and (``full_size``, opt-in) the cheapest real
config runs 2 iterations at its real size through it."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from tools.benchmarks import full_size_configs as fsc
from tools.benchmarks.cls_layouts import DATA_DIRS

CHEAPEST = 'configs/mocov2/mocov2_resnet50_8xb32-coslr-200e_coco.py'


def test_discovers_every_real_config_and_no_twin():
    configs = dict(fsc.discover())
    # every config file of the repository that is not a base, a scenes twin or a test fixture
    real = sorted(
        osp.relpath(osp.join(d, f), fsc.ROOT) for d, _, files in os.walk(osp.join(fsc.ROOT, 'configs'))
        for f in files if f.endswith('.py') and '_base_' not in d and 'scenes' not in d
        and not f.endswith('_scenes.py'))
    assert sorted(configs) == real
    assert len(configs) == 23
    assert not [c for c in configs if 'scenes' in c]
    assert configs[CHEAPEST] == 'train'
    assert configs['configs/benchmarks/mmdetection/voc0712/'
                   'faster-rcnn_r50-c4-syncbn_ms-24k_voc0712.py'] == 'mmdet'
    assert list(dict(fsc.discover('mmsegmentation'))) == sorted(
        c for c in configs if 'mmsegmentation' in c)


def test_discovers_the_seven_finetuning_configs_and_writes_their_layouts(repo_root):
    """The fine-grained fine-tunings (MLS Table 5) run from the checkpoint, and each reads
    under data/ the folder cls_layouts.build_cls_layouts writes."""
    configs = dict(fsc.discover())
    finetune = sorted(c for c in configs if c.startswith('configs/benchmarks/classification/')
                      and '/resnet50_finetune-' in c and '/voc07/' not in c)
    assert sorted(c.split('/')[3] for c in finetune) == sorted(DATA_DIRS)
    assert all(configs[c] == 'probe' for c in finetune)
    for config in finetune:
        cfg = Config.fromfile(osp.join(repo_root, config))
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            assert loader.dataset.data_root == 'data/' + DATA_DIRS[config.split('/')[3]]
    assert sorted(dict(fsc.discover(
        'configs/benchmarks/classification/[!v]*/resnet50_finetune-*.py'))) == finetune


@pytest.mark.parametrize('config,roots', [
    (CHEAPEST, ['coco/']),
    ('configs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4-syncbn_ms-24k_voc0712.py',
     ['VOCdevkit/', 'VOCdevkit/']),
    ('configs/benchmarks/mmdetection/cityscapes/mask-rcnn_r50_fpn-syncbn_ms-24k_cityscapes.py',
     ['cityscapes/']),
    ('configs/benchmarks/classification/cub/resnet50_finetune-4xb16-coslr-120e_cub.py',
     ['CUB_200_2011']),
])
def test_override_keeps_the_config_and_changes_the_run(config, roots, repo_root, tmp_path):
    out = str(tmp_path / 'override.py')
    used, own = fsc.write_override(config, out, '/tiny/data', iters=2, batch_size=None)
    real, cfg = Config.fromfile(osp.join(repo_root, config)), Config.fromfile(out)
    assert used == own == real.train_dataloader.batch_size
    assert cfg.model == real.model
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=2, val_interval=10**9)
    assert cfg.val_cfg is None and cfg.val_dataloader is None and cfg.test_evaluator is None
    assert cfg.default_hooks.checkpoint is None and cfg.default_hooks.logger.interval == 1
    assert cfg.train_dataloader.num_workers == 0
    dataset = cfg.train_dataloader.dataset
    while 'dataset' in dataset:   # RepeatDataset
        dataset = dataset.dataset
    datasets = dataset.get('datasets', [dataset])   # ConcatDataset
    assert [d.data_root for d in datasets] == ['/tiny/data/' + r for r in roots]
    real_pipeline = real.train_dataloader.dataset
    while 'pipeline' not in real_pipeline:
        real_pipeline = real_pipeline.get('dataset') or real_pipeline.datasets[0]
    assert datasets[0].pipeline == real_pipeline.pipeline


def test_reduced_batch_is_applied(tmp_path):
    out = str(tmp_path / 'override.py')
    assert fsc.write_override(CHEAPEST, out, '/d', batch_size=8) == (8, 32)
    assert Config.fromfile(out).train_dataloader.batch_size == 8


@pytest.mark.full_size
@pytest.mark.skipif(os.environ.get('MLS_MM_FULL_SIZE') != '1',
                    reason='a ResNet-50 at 224 px, batch 32, for 2 iterations: ~2 min on '
                    '2 cores; set MLS_MM_FULL_SIZE=1 to run it')
def test_cheapest_real_config_runs_at_full_size(repo_root, tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/benchmarks/full_size_configs.py', '--only', CHEAPEST,
         '--data-root', str(tmp_path), '--timeout', '900'],
        cwd=repo_root, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(line for line in proc.stdout.splitlines() if line.startswith(CHEAPEST))
    fields = [f.strip() for f in line.split('|')]
    assert fields[1] == '2' and fields[4] == 'ok', line
    assert float(fields[2]) > 0 and float(fields[3]) > 1000   # s/iter, RSS of an R50 run


CHILD_WATCHER = """
import signal, sys
sys.path.insert(0, {root!r})
from tools.benchmarks import full_size_configs as fsc
signal.signal(signal.SIGTERM, fsc._exit_on_sigterm)
fsc.run_limited([sys.executable, '-c', 'import os, time; print(os.getpid(), flush=True); '
                 'time.sleep(120)'], {log!r}, None, 300, 0)
"""


def test_stopping_the_script_stops_its_run(tmp_path):
    """A run lives in its own session (so its RSS can be summed and killed as a group); when
    the script is stopped, the run must not go on as an orphan."""
    import time
    log = str(tmp_path / 'child.log')
    parent = subprocess.Popen([sys.executable, '-c', CHILD_WATCHER.format(root=fsc.ROOT, log=log)])
    deadline = time.time() + 60
    while not (osp.isfile(log) and open(log).read().strip()):
        assert time.time() < deadline and parent.poll() is None
        time.sleep(0.1)
    child = int(open(log).read().split()[0])
    os.kill(child, 0)                       # the run is alive
    parent.terminate()
    assert parent.wait(timeout=30) == 128 + 15
    time.sleep(0.5)
    assert _state(child) in (None, 'Z'), 'the run outlived the script'  # gone (or a zombie)


def _state(pid):
    """The process state letter from /proc (R, S, Z, ...), or None when there is no process."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    except FileNotFoundError:
        return None
