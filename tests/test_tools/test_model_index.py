"""model-index.yml (mmpretrain's layout): loaded with the `modelindex` package, every imported
metafile and every model's Config exist, Downstream names resolve, and only configs trained
here (the scenes configs and their downstream runs) carry Results, all of them numbers."""
import numbers
import os.path as osp

import pytest
import yaml

INDEX = 'model-index.yml'


def _scenes(config: str) -> bool:
    """A config this project trains (the built-in scenes): its name says ``_scenes``."""
    return '_scenes' in osp.basename(config)


@pytest.fixture(scope='module')
def index(repo_root):
    with open(osp.join(repo_root, INDEX)) as f:
        raw = yaml.safe_load(f)
    metafiles = {}
    for rel in raw['Import']:
        path = osp.join(repo_root, rel)
        assert osp.isfile(path), f'{INDEX} imports {rel}, which does not exist'
        with open(path) as f:
            metafiles[rel] = yaml.safe_load(f)
        assert metafiles[rel].get('Models'), f'{rel}: no Models'
    return raw, metafiles


def test_index_imports_the_four_method_metafiles(index):
    raw, _ = index
    assert sorted(raw['Import']) == sorted(f'configs/{m}/metafile.yml'
                                           for m in ('mocov2', 'simsiam', 'mls', 'bam'))


def test_modelindex_package_loads_it(index, repo_root, monkeypatch):
    load = pytest.importorskip('modelindex.load_model_index').load
    monkeypatch.chdir(repo_root)  # Import paths are relative to the repository root
    mi = load(INDEX)
    _, metafiles = index
    names = [m['Name'] for meta in metafiles.values() for m in meta['Models']]
    assert [m.name for m in mi.models] == names
    assert sorted(c.name for c in mi.collections) == \
        sorted(c['Name'] for meta in metafiles.values() for c in meta['Collections'])
    by_name = {m.name: m for m in mi.models}
    for meta in metafiles.values():
        for m in meta['Models']:
            assert by_name[m['Name']].config == m['Config']
            assert (by_name[m['Name']].results is None) == (m.get('Results') is None)


def test_every_model_config_readme_and_collection_exists(index, repo_root):
    _, metafiles = index
    for rel, meta in metafiles.items():
        collections = {c['Name'] for c in meta['Collections']}
        for c in meta['Collections']:
            assert osp.isfile(osp.join(repo_root, c['README'])), (rel, c['README'])
        for m in meta['Models']:
            assert m.get('Config'), f"{rel}: {m['Name']} has no Config"
            assert osp.isfile(osp.join(repo_root, m['Config'])), (rel, m['Name'], m['Config'])
            assert m['In Collection'] in collections, (rel, m['Name'])


def test_names_unique_and_downstream_resolves(index):
    _, metafiles = index
    names = [m['Name'] for meta in metafiles.values() for m in meta['Models']]
    assert len(names) == len(set(names))
    for rel, meta in metafiles.items():
        own = {m['Name']: m for m in meta['Models']}
        for m in meta['Models']:
            for d in m.get('Downstream') or []:
                assert d in own, f"{rel}: {m['Name']} lists Downstream {d}, not an entry"
                assert d.startswith(m['Name'] + '-pre_')  # mmpretrain's naming
                assert own[d]['Config'] != m['Config']  # the downstream config, not ours


def test_results_only_where_trained_here_and_numeric(index):
    _, metafiles = index
    with_results = 0
    for rel, meta in metafiles.items():
        downstream = {d for m in meta['Models'] for d in m.get('Downstream') or []}
        for m in meta['Models']:
            results = m.get('Results')
            if not _scenes(m['Config']):
                assert results is None, f"{rel}: {m['Name']} was never trained here"
            if m.get('Downstream'):  # a pretraining entry: its own results are none
                assert results is None, f"{rel}: {m['Name']}: results belong downstream"
            if results is None:
                continue
            assert m['Name'] in downstream, f"{rel}: {m['Name']} has Results but no parent"
            with_results += 1
            for r in results:
                assert set(r) == {'Task', 'Dataset', 'Metrics'}, (rel, m['Name'], r)
                assert r['Metrics'], (rel, m['Name'], r)
                for k, v in r['Metrics'].items():
                    assert isinstance(v, numbers.Real) and not isinstance(v, bool), \
                        f"{rel}: {m['Name']} {r['Task']} {k} = {v!r} is not a number"
    assert with_results > 0


def test_scenes_metadata_epochs_are_the_configs(index, repo_root):
    """A scenes entry's Epochs and Batch Size are what its config runs, unless a Schedule note
    says the launch changed them (the job's 1-epoch transfer of a 3-epoch config)."""
    from mmengine.config import Config
    checked = 0
    for rel, meta in index[1].items():
        for m in meta['Models']:
            if not _scenes(m['Config']) or 'Schedule' in (m.get('Metadata') or {}):
                continue
            cfg = Config.fromfile(osp.join(repo_root, m['Config']))
            assert m['Metadata']['Epochs'] == cfg.train_cfg.max_epochs, (rel, m['Name'])
            # one process (the scenes twins' 1xb<N>): the batch is the dataloader's
            assert m['Metadata']['Batch Size'] == cfg.train_dataloader.batch_size, \
                (rel, m['Name'])
            checked += 1
    assert checked >= 8  # 4 pretraining twins and their probes
