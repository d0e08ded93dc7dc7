"""Benchmark tables from fixture work_dirs: numbers from the logs, `missing` where nothing was
logged, README markers idempotent, metafile entries kept."""
import json
import os
import os.path as osp
import shutil

import pytest
import yaml

from mls_mm.utils.results import latest_metrics, run_facts, train_history
from tools.analysis_tools import collect_results as cr
from tools.analysis_tools.method_folders import BEGIN, END, update_metafile, update_readme

MLS_CONFIG = 'mls_resnet18_1xb32-coslr-10e_scenes'
README = """# MLS

Intro.

## Results

Paper:

| Method | AP |
|---|---|
| MLS | 40.1 |

```bibtex
@inproceedings{x}
```
"""
METAFILE = """Collections:
  - Name: MLS
    Metadata:
      Training Data: COCO train2017   # a comment
    README: configs/mls/README.md

Models:
  - Name: mls_resnet50_8xb32-coslr-400e_coco
    In Collection: MLS
    Metadata: {Epochs: 400, Batch Size: 256}
    Results:
      - Task: Object Detection
        Dataset: COCO
        Metrics:
          box AP: 40.1   # paper, Table 1
    Config: configs/mls/mls_resnet50_8xb32-coslr-400e_coco.py
  - Name: mls_resnet18_1xb32-coslr-10e_scenes
    In Collection: MLS
    Metadata:
      Epochs: 10
    Results: null
    Config: configs/mls/mls_resnet18_1xb32-coslr-10e_scenes.py
"""


def write_run(wd, launches, config_name=None, cfg_text='', world_size=1):
    """A work_dir as mmengine writes it: ``launches`` maps timestamp -> scalar records."""
    os.makedirs(wd, exist_ok=True)
    if config_name:
        with open(osp.join(wd, config_name + '.py'), 'w') as f:
            f.write(cfg_text)
    for ts, records in launches.items():
        os.makedirs(osp.join(wd, ts, 'vis_data'), exist_ok=True)
        with open(osp.join(wd, ts, f'{ts}.log'), 'w') as f:
            f.write(f'    Distributed training: {world_size > 1}\n    GPU number: {world_size}\n')
        with open(osp.join(wd, ts, 'vis_data', 'scalars.json'), 'w') as f:
            f.writelines(json.dumps(r) + '\n' for r in records)
        if config_name:
            shutil.copy(osp.join(wd, config_name + '.py'), osp.join(wd, ts, 'vis_data',
                                                                     'config.py'))


def train_lines(epochs, iters_per_epoch=2, first=1):
    return [dict(lr=0.1, loss=5.0 - 0.1 * s, loss_nce=4.0, epoch=(s - 1) // iters_per_epoch + 1,
                 iter=s, step=s)
            for s in range((first - 1) * iters_per_epoch + 1, epochs * iters_per_epoch + 1)]


PRE_CFG = ("train_cfg = dict(type='EpochBasedTrainLoop', max_epochs={e})\n"
           "train_dataloader = dict(batch_size={b}, dataset=dict(type='CocoImageDataset', "
           "data_root='data/scenes/'))\n")
DOWN_CFG = "val_dataloader = dict(dataset=dict(data_root='data/scenes/'))\n"
PROBE = {'multi-label/mAP': 'mAP', 'multi-label/f1-score': 'CF1'}


@pytest.fixture
def runs(tmp_path):
    root = str(tmp_path / 'main')
    # MLS: a resumed pretraining (2 launches, 2 processes), probe and transfer
    write_run(osp.join(root, 'pretrain/mls'),
              {'20260101_000000': train_lines(4), '20260102_000000': train_lines(10, first=5)},
              MLS_CONFIG, PRE_CFG.format(e=10, b=32), world_size=2)
    with open(osp.join(root, 'pretrain/mls', cr.WALL_FILE), 'w') as f:
        json.dump(dict(wall_s=93.0), f)  # as tools/run_main.py writes it
    write_run(osp.join(root, 'probe/mls'), {
        '20260103_000000': train_lines(10) + [
            {'multi-label/mAP': 40.0, 'multi-label/f1-score': 30.0, 'step': 5},
            {'multi-label/mAP': 51.25, 'multi-label/f1-score': 44.5, 'step': 10}],
        # a later launch that stopped before evaluating: the metrics stay those above
        '20260104_000000': train_lines(2)}, 'probe', DOWN_CFG)
    write_run(osp.join(root, 'transfer/mls'), {'20260105_000000': train_lines(2) + [
        {'coco/bbox_mAP': 0.1234, 'time': 0.5, 'step': 2}]}, 'det', DOWN_CFG)  # no segm
    # MoCo v2: pretraining and probe, no transfer run at all
    write_run(osp.join(root, 'pretrain/mocov2'), {'20260101_000000': train_lines(3)},
              'mocov2_x', PRE_CFG.format(e=10, b=16))
    write_run(osp.join(root, 'probe/mocov2'), {'20260103_000000': [
        {'multi-label/mAP': 33.0, 'multi-label/f1-score': 22.0, 'step': 10}]}, 'p', DOWN_CFG)
    spec = dict(
        root=root, pretrain=dict(run='pretrain/{method}'),
        methods=[dict(name='mocov2', title='MoCo v2', folder='configs/mocov2'),
                 dict(name='mls', title='MLS', folder='configs/mls'),
                 dict(name='random', title='random init', pretrain=False)],
        downstream=[
            dict(name='probe', run='probe/{method}', task='Multi-Label Classification',
                 metrics=[dict(name=n, keys=['nope', k]) for k, n in PROBE.items()]),
            dict(name='transfer', run='transfer/{method}', task='Object Detection', metrics=[
                dict(name='box AP', keys=['coco/bbox_mAP'], scale=100, digits=1),
                dict(name='mask AP', keys=['coco/segm_mAP'], scale=100, digits=1,
                     task='Instance Segmentation')])])
    return root, spec


def test_results_reading(runs):
    root, _ = runs
    facts = run_facts(osp.join(root, 'pretrain/mls'))
    assert facts['config'] == MLS_CONFIG and facts['batch_size'] == 32
    assert facts['world_size'] == 2 and facts['max_epochs'] == 10 and facts['last_epoch'] == 10
    steps = [r['step'] for r in train_history(osp.join(root, 'pretrain/mls'))]
    assert steps == list(range(1, 21))  # the resumed launch continues the first
    found = latest_metrics(osp.join(root, 'probe/mls'), ['multi-label/mAP'])
    assert found['values'] == {'multi-label/mAP': 51.25} and found['step'] == 10
    assert found['source'].endswith('20260103_000000')
    assert run_facts(osp.join(root, 'transfer/bam')) is None
    # without scalars.json, the text log (as mmengine writes it) is read instead
    wd = osp.join(root, 'textlog')
    os.makedirs(osp.join(wd, '20260101_000000'))
    with open(osp.join(wd, '20260101_000000', '20260101_000000.log'), 'w') as f:
        f.write('11/23 00:25:18 - mmengine - INFO - Epoch(train) [2][ 8/16]  lr: 6.0000e-02  '
                'eta: 0:00:44  time: 5.5000  loss: 5.1052\n'
                '11/23 00:25:23 - mmengine - INFO - Epoch(val) [2][2/2]    multi-label/mAP: '
                '21.9062  multi-label/f1-score: 0.0000  data_time: 0.1680  time: 2.2128\n')
    assert train_history(wd) == [dict(lr=0.06, time=5.5, loss=5.1052, epoch=2, step=24)]
    assert latest_metrics(wd, ['multi-label/mAP'])['values'] == {'multi-label/mAP': 21.9062}


def test_table_missing_exactly_where_nothing_was_logged(runs, tmp_path):
    root, spec = runs
    table = cr.collect(spec)
    rows = {r['name']: r['cells'] for r in table['rows']}
    # images seen: the last step (20) x 32 per process x 2 processes; wall: 93 s
    assert rows['mls'] == {'Data': 'data/scenes', 'Epochs': '10', 'Batch': '64 (2x32)',
                           'Images seen': '1280', 'Wall': '1.6 min',
                           'probe mAP': '51.25', 'probe CF1': '44.50',
                           'transfer box AP': '12.3', 'transfer mask AP': 'missing'}
    assert rows['mocov2'] == {'Data': 'data/scenes', 'Epochs': '3 of 10', 'Batch': '16 (1x16)',
                              'Images seen': '96', 'Wall': 'missing',
                              'probe mAP': '33.00', 'probe CF1': '22.00',
                              'transfer box AP': 'missing', 'transfer mask AP': 'missing'}
    assert set(rows['random'].values()) == {'-', 'missing'}
    notes = '\n'.join(table['notes'])
    assert f"none of ['coco/segm_mAP'] logged in `{root}/transfer/mls/20260105_000000`" in notes
    assert f'MoCo v2, transfer: no run (no launch folder under `{root}/transfer/mocov2`)' in notes
    assert f'MoCo v2, Wall: no `run_main.json` (written by tools/run_main.py) in ' \
        f'`{root}/pretrain/mocov2`' in notes
    text = cr.to_markdown(table)
    assert f'| MLS | data/scenes | 10 | 64 (2x32) | 1280 | 1.6 min | 51.25 | 44.50 | 12.3 | ' \
           f'missing | ' \
           f'`{MLS_CONFIG}.py` | pretrain: `{root}/pretrain/mls/20260102_000000/' in text
    assert '](' not in text  # log paths are text: a clone has no work_dirs to link into
    mls = next(r for r in table['rows'] if r['name'] == 'mls')
    assert mls['results'] == [
        dict(Task='Multi-Label Classification', Dataset='scenes',
             Metrics={'mAP': 51.25, 'CF1': 44.5}),
        dict(Task='Object Detection', Dataset='scenes', Metrics={'box AP': 12.34})]
    # the CLI: a spec file in YAML, --out
    spec_file, out = str(tmp_path / 'spec.yml'), str(tmp_path / 'out' / 'table.md')
    with open(spec_file, 'w') as f:
        yaml.safe_dump(spec, f)
    cr.main(['--spec', spec_file, '--out', out])
    with open(out) as f:
        written = f.read()
    assert '| MLS | data/scenes | 10 | 64 (2x32) | 1280 | 1.6 min | 51.25 |' in written
    assert f'pretrain: `{root}/pretrain/mls/20260102_000000/20260102_000000.log`' in written
    assert f'probe: `{root}/probe/mls/20260103_000000/20260103_000000.log`' in written
    assert '](' not in written


def test_default_spec_on_an_empty_root(tmp_path):
    table = cr.collect(cr.load_spec(), str(tmp_path))
    assert [r['name'] for r in table['rows']] == ['mocov2', 'simsiam', 'mls', 'bam', 'random']
    assert all(v in ('missing', '-') for r in table['rows'] for v in r['cells'].values())
    assert 'probe mAP' in table['columns'] and 'transfer mask AP' in table['columns']


def test_a_group_without_any_run_is_left_out(runs, tmp_path):
    """The default spec on the fixture runs: no row has a finetune run, so the table has no
    finetune column and one note instead of a 'no run' note per method; the transfer group,
    with MLS's run, stays, 'missing' where a method has none."""
    (root, _), out = runs, tmp_path / 'results.md'
    cr.main(['--root', root, '--out', str(out)])
    written = out.read_text()
    header, _, *lines = written.splitlines()
    assert 'finetune' not in header and 'transfer box AP' in header
    (mls, ) = [line for line in lines if line.startswith('| MLS |')]
    cells = dict(zip(header.split(' | '), mls.split(' | ')))
    assert cells['transfer box AP'] == '12.3' and cells['probe mAP'] == '51.25'
    assert f'finetune: no runs under `{root}/finetune/`, so no finetune columns' in written
    assert 'finetune: no run (' not in written
    assert 'MoCo v2, transfer: no run' in written  # a group with a run elsewhere keeps its note
    # three seed roots, none with a finetune run: left out of the mean ± std table too
    cr.main(['--seed-roots', root, root, root, '--out', str(out)])
    assert 'finetune' not in out.read_text().splitlines()[0]


def test_readme_markers_idempotent(runs, tmp_path):
    root, spec = runs
    readme = str(tmp_path / 'README.md')
    with open(readme, 'w') as f:
        f.write(README)
    table = cr.collect(spec)
    mls = next(r for r in table['rows'] if r['name'] == 'mls')
    assert update_readme(readme, cr.render_row(table, mls, str(tmp_path)))
    with open(readme) as f:
        first = f.read()
    head, rest = first.split(BEGIN)
    block, tail = rest.split(END)
    assert head + tail.lstrip('\n') == README  # only the block (and a blank line) added
    assert head.endswith('| MLS | 40.1 |\n\n')  # at the end of the Results section ...
    assert tail == '\n\n```bibtex\n@inproceedings{x}\n```\n'  # ... before the BibTeX
    assert '| data/scenes | 10 | 64 (2x32) | 1280 | 1.6 min | 51.25 |' in block and 'segm_mAP' in block
    assert not update_readme(readme, cr.render_row(table, mls, str(tmp_path)))  # idempotent
    # new numbers replace the block and nothing else
    assert update_readme(readme, 'other numbers')
    with open(readme) as f:
        second = f.read()
    assert second.split(BEGIN)[0] == head and second.split(END)[1] == tail
    assert 'other numbers' in second and '51.25' not in second
    # a README without a Results section gets one at the end
    bare = str(tmp_path / 'bare.md')
    with open(bare, 'w') as f:
        f.write('# Title\n\ntext\n')
    update_readme(bare, 'x')
    with open(bare) as f:
        assert f.read().startswith('# Title\n\ntext\n\n## Results\n\n' + BEGIN)


@pytest.mark.parametrize('method', ['mocov2', 'simsiam', 'mls', 'bam'])
def test_method_folder_files_stay_intact(method, tmp_path, repo_root):
    """On copies of the project's own README and metafile: only our parts change."""
    readme, meta = str(tmp_path / 'README.md'), str(tmp_path / 'metafile.yml')
    shutil.copy(osp.join(repo_root, 'configs', method, 'README.md'), readme)
    shutil.copy(osp.join(repo_root, 'configs', method, 'metafile.yml'), meta)
    with open(readme) as f:
        original = f.read()
    update_readme(readme, '| a | b |\n|---|---|\n| 1 | 2 |')
    assert not update_readme(readme, '| a | b |\n|---|---|\n| 1 | 2 |')
    with open(readme) as f:
        updated = f.read()
    assert '| 1 | 2 |' in updated.split(BEGIN)[1].split(END)[0]

    def outside(text):  # the README without our marked block (present or not yet)
        if BEGIN not in text:
            return text
        head, rest = text.split(BEGIN)
        return head + rest.split(END)[1].lstrip('\n')

    assert outside(updated) == outside(original)
    with open(meta) as f:
        original = yaml.safe_load(f)
    name = original['Models'][-1]['Name']
    ours = [dict(Task='Object Detection', Dataset='scenes', Metrics={'box AP': 1.5})]
    update_metafile(meta, name, ours)
    with open(meta) as f:
        data = yaml.safe_load(f)
    kept = [r for r in original['Models'][-1]['Results'] or []
            if (r['Task'], r['Dataset']) != ('Object Detection', 'scenes')]
    assert data['Models'][-1].pop('Results') == kept + ours
    original['Models'][-1].pop('Results')
    assert data == original


def test_metafile_update_keeps_other_entries(runs, tmp_path):
    root, spec = runs
    meta = str(tmp_path / 'metafile.yml')
    with open(meta, 'w') as f:
        f.write(METAFILE)
    original_text = METAFILE
    original = yaml.safe_load(original_text)
    table = cr.collect(spec)
    mls = next(r for r in table['rows'] if r['name'] == 'mls')
    assert update_metafile(meta, MLS_CONFIG, mls['results'])
    with open(meta) as f:
        text = f.read()
    data = yaml.safe_load(text)
    entry = next(m for m in data['Models'] if m['Name'] == MLS_CONFIG)
    assert entry['Results'] == mls['results']
    entry['Results'] = None
    assert data == original  # nothing else changed ...
    assert '# paper, Table 1' in text  # ... and the comments of other entries are kept
    before = original_text.split(f'- Name: {MLS_CONFIG}')[0]
    assert text.startswith(before)
    assert not update_metafile(meta, MLS_CONFIG, mls['results'])  # idempotent
    # a new result for one (Task, Dataset) replaces that one only
    new = [dict(Task='Object Detection', Dataset='scenes', Metrics={'box AP': 1.0})]
    update_metafile(meta, MLS_CONFIG, new)
    with open(meta) as f:
        entry = next(m for m in yaml.safe_load(f)['Models'] if m['Name'] == MLS_CONFIG)
    assert entry['Results'] == [mls['results'][0]] + new
    # an entry that does not exist yet is appended, with the collection's name
    update_metafile(meta, 'mls_other', new, {'Epochs': 3}, 'configs/mls/mls_other.py')
    with open(meta) as f:
        models = yaml.safe_load(f)['Models']
    assert models[:-1] == [m for m in models if m['Name'] != 'mls_other']
    assert models[-1] == {'Name': 'mls_other', 'In Collection': 'MLS', 'Metadata': {'Epochs': 3},
                          'Results': new, 'Config': 'configs/mls/mls_other.py'}


def test_update_method_folders_cli(runs, tmp_path, repo_root, monkeypatch):
    root, spec = runs
    for m in ('mls', 'mocov2'):
        shutil.copytree(osp.join(repo_root, 'configs', m), str(tmp_path / 'configs' / m))
    monkeypatch.chdir(tmp_path)
    spec_file = str(tmp_path / 'spec.json')
    with open(spec_file, 'w') as f:
        json.dump(spec, f)
    cr.main(['--spec', spec_file, '--update-method-folders'])
    assert osp.isfile(osp.join(root, 'results.md'))
    with open('configs/mocov2/README.md') as f:
        readme = f.read()
    assert '| data/scenes | 3 of 10 | 16 (1x16) | 96 | missing | 33.00 | 22.00 | missing | missing |' in readme
    assert 'pretrain: `main/pretrain/mocov2/20260101_000000/20260101_000000.log`' in readme
    assert '](' not in readme.split(BEGIN)[1].split(END)[0]
    with open('configs/mocov2/metafile.yml') as f:
        models = yaml.safe_load(f)['Models']
    # a new pretraining entry, without Results, then its probe entry (configs/**/p.py absent)
    assert [m['Name'] for m in models[-2:]] == ['mocov2_x', 'mocov2_x-pre_p']
    assert models[-2]['Metadata'] == {'Epochs': 10, 'Batch Size': 16,
                                      'Training Data': 'data/scenes/',
                                      'Schedule': 'stopped after epoch 3 of 10'}
    assert models[-2]['Results'] is None and models[-2]['Downstream'] == ['mocov2_x-pre_p']
    assert models[-1]['Results'] == [dict(Task='Multi-Label Classification', Dataset='scenes',
                                          Metrics={'mAP': 33.0, 'CF1': 22.0})]
    assert 'Config' not in models[-1]


def test_update_method_folders_writes_downstream_entries(tmp_path, repo_root, monkeypatch):
    """mmpretrain's layout: the pretraining entry keeps ``Results: null`` and names its
    downstream entries, each with its own Results, Metadata and Config (the downstream config,
    found under configs/ by the name dumped in the run's work_dir); no README link into the
    work_dirs."""
    import re
    pre = 'mls_resnet18_1xb32-coslr-10e_scenes'  # the entry of the project's own metafile
    probe = 'resnet18_linear-probe-1xb64-coslr-5e_scenes-64px'
    det = 'mask-rcnn_r18_fpn_1xb4-3e_scenes'
    shutil.copytree(osp.join(repo_root, 'configs', 'mls'), str(tmp_path / 'configs' / 'mls'))
    for sub, name in (('classification/scenes', probe), ('mmdetection/scenes', det)):
        os.makedirs(tmp_path / 'configs' / 'benchmarks' / sub, exist_ok=True)
        with open(tmp_path / 'configs' / 'benchmarks' / sub / (name + '.py'), 'w') as f:
            f.write(f'train_cfg = dict(max_epochs={10 if name == probe else 3})\n')
    monkeypatch.chdir(tmp_path)
    meta = 'configs/mls/metafile.yml'
    # the old layout: measured numbers inside the pretraining entry
    update_metafile(meta, pre, [dict(Task='Object Detection', Dataset='scenes',
                                     Metrics={'box AP': 9.9})])
    root = 'work_dirs/main'
    write_run(f'{root}/pretrain/mls', {'20260101_000000': train_lines(20)}, pre,
              PRE_CFG.format(e=20, b=32))
    write_run(f'{root}/probe/mls', {'20260103_000000': train_lines(10) + [
        {'multi-label/mAP': 51.25, 'multi-label/f1-score': 44.5, 'step': 20}]},
        probe, PRE_CFG.format(e=10, b=64) + DOWN_CFG)
    write_run(f'{root}/transfer/mls', {'20260105_000000': train_lines(1) + [  # 1 epoch of 3
        {'coco/bbox_mAP': 0.02, 'coco/segm_mAP': 0.016, 'step': 1}]},
        det, PRE_CFG.format(e=1, b=4) + DOWN_CFG)
    spec = dict(root=root, pretrain=dict(run='pretrain/{method}'),
                methods=[dict(name='mls', title='MLS', folder='configs/mls')],
                downstream=[d for d in cr.load_spec()['downstream']])
    with open('spec.json', 'w') as f:
        json.dump(spec, f)
    cr.main(['--spec', 'spec.json', '--update-method-folders'])
    with open(meta) as f:
        models = {m['Name']: m for m in yaml.safe_load(f)['Models']}
    names = [f'{pre}-pre_{probe}', f'{pre}-pre_{det}']
    assert models[pre]['Results'] is None and models[pre]['Downstream'] == names
    # the existing pretraining entry takes the run's schedule and keeps its other Metadata
    assert models[pre]['Metadata'] == {'Epochs': 20, 'Batch Size': 32,
                                       'Training Data': 'mls_mm built-in scenes'}
    p, d = models[names[0]], models[names[1]]
    assert p['Config'] == f'configs/benchmarks/classification/scenes/{probe}.py'
    assert d['Config'] == f'configs/benchmarks/mmdetection/scenes/{det}.py'
    assert p['In Collection'] == d['In Collection'] == 'MLS'
    assert p['Results'] == [dict(Task='Multi-Label Classification', Dataset='scenes',
                                 Metrics={'mAP': 51.25, 'CF1': 44.5})]
    assert d['Results'] == [dict(Task='Object Detection', Dataset='scenes',
                                 Metrics={'box AP': 2.0}),
                            dict(Task='Instance Segmentation', Dataset='scenes',
                                 Metrics={'mask AP': 1.6})]
    assert p['Metadata'] == {'Epochs': 10, 'Batch Size': 64, 'Training Data': 'data/scenes/'}
    assert d['Metadata']['Epochs'] == 1 and "1 of the config's 3 epochs" in \
        d['Metadata']['Schedule']
    # the other entries (COCO configs never trained here) are untouched and without Results
    with open(osp.join(repo_root, meta)) as f:
        original = {m['Name']: m for m in yaml.safe_load(f)['Models']}
    for name, m in original.items():
        if not name.endswith('_scenes') and '-pre_' not in name:
            assert models[name] == m and m['Results'] is None
    # idempotent
    with open(meta) as f:
        first = f.read()
    cr.main(['--spec', 'spec.json', '--update-method-folders'])
    with open(meta) as f:
        assert f.read() == first
    with open('configs/mls/README.md') as f:
        block = f.read().split(BEGIN)[1].split(END)[0]
    assert '| 51.25 |' in block
    assert f'pretrain: `{root}/pretrain/mls/20260101_000000/20260101_000000.log`' in block
    assert re.search(r'\]\([^)]*\)', block) is None  # no markdown link at all
    assert 'work_dir' in block  # the note saying where the logs are


def test_seed_tables_give_mean_and_sample_std(runs, tmp_path):
    """Three seeds' roots (the fixture's runs with other probe and transfer numbers): numeric
    cells become mean ± sample std (n - 1, computed here by hand), the rest must agree."""
    import math
    root, spec = runs
    probe_maps, box_aps = [51.25, 48.0, 55.5], [0.1234, 0.1500, 0.1000]
    roots = []
    for seed, (probe_map, box_ap) in enumerate(zip(probe_maps, box_aps)):
        seed_root = str(tmp_path / 'seeds' / f'seed_{seed}')
        shutil.copytree(root, seed_root)
        write_run(osp.join(seed_root, 'probe/mls'), {'20260109_000000': [
            {'multi-label/mAP': probe_map, 'multi-label/f1-score': 44.5, 'step': 10}]},
            'probe', DOWN_CFG)
        write_run(osp.join(seed_root, 'transfer/mls'), {'20260109_000000': [
            {'coco/bbox_mAP': box_ap, 'step': 2}]}, 'det', DOWN_CFG)
        roots.append(seed_root)
    table = cr.aggregate_seeds([cr.collect(spec, r) for r in roots])
    mls = next(r for r in table['rows'] if r['name'] == 'mls')

    def mean_std(values):
        mean = sum(values) / len(values)
        return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))

    mean, std = mean_std(probe_maps)  # 51.583..., 3.7609...
    assert mls['cells']['probe mAP'] == f'{mean:.2f} ± {std:.2f}' == '51.58 ± 3.76'
    mean, std = mean_std([100 * v for v in box_aps])
    assert mls['cells']['transfer box AP'] == f'{mean:.1f} ± {std:.1f}'
    assert mls['cells']['probe CF1'] == '44.50 ± 0.00'
    assert mls['cells']['Data'] == 'data/scenes' and mls['cells']['Wall'] == '1.6 ± 0.0 min'
    assert mls['cells']['transfer mask AP'] == 'missing'
    probe = next(r for r in mls['results'] if r['Task'] == 'Multi-Label Classification')
    assert probe['Metrics']['mAP'] == round(sum(probe_maps) / 3, 4)
    # the CLI, as tools/run_main.py --seeds calls it
    out = str(tmp_path / 'seeds' / 'results.md')
    cr.main(['--spec', _write_spec(spec, tmp_path), '--seed-roots', *roots, '--out', out])
    with open(out) as f:
        assert '51.58 ± 3.76' in f.read()
    # a seed whose transfer run is missing: k of n, and no metafile mean for that metric
    shutil.rmtree(osp.join(roots[2], 'transfer/mls'))
    partial = cr.aggregate_seeds([cr.collect(spec, r) for r in roots])
    mls = next(r for r in partial['rows'] if r['name'] == 'mls')
    assert mls['cells']['transfer box AP'] == '2 of 3 seeds'
    assert mls['cells']['probe mAP'] == '51.58 ± 3.76'
    assert all('box AP' not in e['Metrics'] for e in mls['results']
               if e['Task'] == 'Object Detection')
    assert 'over 3 seeds' in cr.footnote(partial['notes'], partial['seeds'])
    # tables of different methods cannot be merged
    other = cr.collect(dict(spec, methods=spec['methods'][::-1]), roots[0])
    with pytest.raises(ValueError, match='different methods'):
        cr.aggregate_seeds([cr.collect(spec, roots[0]), other])


def _write_spec(spec, tmp_path):
    path = str(tmp_path / 'spec.yml')
    with open(path, 'w') as f:
        yaml.safe_dump(spec, f)
    return path


def test_scenes_benchmark_spec_reads_the_fixture_runs(runs, repo_root):
    """The README table's spec: pretrain kNN mAP where the monitor logged, '-' for the row
    without pretraining, the probe and detection columns."""
    root, _ = runs
    write_run(osp.join(root, 'pretrain/bam'), {'20260101_000000': train_lines(2) + [
        {'knn/mAP': 31.5, 'step': 4}]}, 'bam_x', PRE_CFG.format(e=2, b=32))
    spec = cr.load_spec(osp.join(repo_root, 'tools/analysis_tools/specs/scenes_benchmark.py'))
    table = cr.collect(spec, root)
    rows = {r['name']: r['cells'] for r in table['rows']}
    assert rows['bam']['pretrain kNN mAP'] == '31.50'
    assert rows['random']['pretrain kNN mAP'] == '-' and rows['random']['Images seen'] == '-'
    assert rows['mls']['probe mAP'] == '51.25' and rows['mls']['transfer box AP'] == '12.3'
    assert 'probe CF1' not in table['columns']
    cr.to_markdown(table)  # every row has every column


def test_method_folders_take_the_runs_schedule_and_the_seed_count(tmp_path):
    """An existing pretraining entry takes the run's Epochs and Batch Size, with a Schedule
    note when they differ from its config (a stale note goes), and keeps its other Metadata; a
    multi-seed table gives its downstream entries ``Seeds``."""
    from tools.analysis_tools.method_folders import update_method_folders
    pre, probe = 'x_scenes', 'probe_scenes'
    folder = tmp_path / 'configs' / 'x'
    folder.mkdir(parents=True)
    (folder / f'{pre}.py').write_text('train_cfg = dict(max_epochs=10)\n')
    (folder / f'{probe}.py').write_text('train_cfg = dict(max_epochs=5)\n')
    (folder / 'metafile.yml').write_text(
        'Collections:\n  - Name: X\nModels:\n'
        f'  - Name: {pre}\n    In Collection: X\n    Metadata:\n      Epochs: 20\n'
        '      Batch Size: 16\n      Training Data: built-in scenes\n'
        '      Schedule: an old note\n    Results: null\n'
        f'    Config: configs/x/{pre}.py\n')
    facts = dict(max_epochs=1, batch_size=32, world_size=1, data_root='data/scenes/')
    down = dict(group='probe', config=probe, results=[dict(
        Task='Multi-Label Classification', Dataset='scenes', Metrics={'mAP': 25.0})],
        facts=dict(facts, max_epochs=5, batch_size=64))
    table = dict(seeds=3, rows=[dict(folder='configs/x', config=pre, facts=facts,
                                     downstream=[down])])
    update_method_folders(table, lambda row, base: '', repo_root=str(tmp_path))
    with open(folder / 'metafile.yml') as f:
        models = {m['Name']: m for m in yaml.safe_load(f)['Models']}
    assert models[pre]['Metadata'] == {
        'Epochs': 1, 'Batch Size': 32, 'Training Data': 'built-in scenes',
        'Schedule': "1 of the config's 10 epochs (train_cfg.max_epochs=1 at launch)"}
    meta = models[f'{pre}-pre_{probe}']['Metadata']
    assert meta['Seeds'] == 3 and 'mean over the seeds' in meta['Results Of']
    assert 'Schedule' not in meta and meta['Epochs'] == 5
