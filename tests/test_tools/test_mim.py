"""mim and packaging (docs/install_mim.md): a NON-editable install ships configs/, tools/ and
model-index.yml in ``mls_mm/.mim`` (setup.py's build hook, mmpretrain's layout), and openmim's
``mim search / train / test mls_mm`` work from it.

The repository's sources (what git would commit: tracked and untracked files it does not
ignore, so no virtual environment, data or work_dirs, whatever their names) are copied to a
temporary folder first and built there (the work tree gets no ``build/``, egg-info or
``mls_mm/.mim``): an sdist, a wheel built from that sdist (MANIFEST.in
carries what the hook copies), a wheel built from the tree (``pip wheel .``), and an editable
wheel (the hook adds nothing). The wheel is installed with ``pip install --target SITE`` and every
command runs from a folder outside the repository with ``PYTHONPATH=SITE``, so the installed copy,
not the checkout (``.venv`` has the editable install), is imported and searched by mim. About a
minute on 2 idle cores (two 1-epoch trainings of 64 tiny images and one test).
"""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest
import yaml

MIM_FILES = ('mls_mm/.mim/configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py',
             'mls_mm/.mim/tools/train.py',
             'mls_mm/.mim/tools/test.py',
             'mls_mm/.mim/model-index.yml')
PRETRAIN = 'mocov2_resnet18_1xb32-coslr-10e_scenes.py'
PROBE = 'resnet18_linear-probe-1xb64-coslr-5e_scenes-64px.py'


COPY_IGNORE = shutil.ignore_patterns('.git', '.venv*', 'work_dirs', 'data', 'build', 'dist',
                                     '*.egg-info', '__pycache__', '*.pyc', '.pytest_cache',
                                     '.mim')


def copy_sources(repo_root, dst):
    """Copy the files of the working tree that git does not ignore into ``dst`` and return
    their relative paths. A copy of the whole tree would take the ignored virtual environments
    with it (``.venv-torch2.1`` alone is about 5 GB). Outside a git checkout (an exported
    tree), the tree is copied without COPY_IGNORE's folders instead."""
    try:
        out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others',
                              '--exclude-standard'], cwd=repo_root, check=True,
                             capture_output=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        shutil.copytree(repo_root, dst, ignore=COPY_IGNORE)
        return [osp.relpath(osp.join(d, f), dst) for d, _, fs in os.walk(dst) for f in fs]
    files = [f for f in out.split('\0') if f and osp.isfile(osp.join(repo_root, f))]
    for rel in files:
        os.makedirs(osp.dirname(osp.join(dst, rel)), exist_ok=True)
        shutil.copy2(osp.join(repo_root, rel), osp.join(dst, rel))
    return files


def _run(cmd, cwd, env=None, timeout=300):
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)
    assert proc.returncode == 0, f'{cmd} failed ({proc.returncode}):\n{proc.stdout[-4000:]}'
    return proc.stdout


def _mim():
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    if not osp.isfile(mim):
        pytest.fail('openmim is not installed in this environment: it is pinned in '
                    'requirements.txt (bash tools/install.sh installs it)')
    return mim


@pytest.fixture(scope='module')
def built(repo_root, tmp_path_factory):
    """The repository copied and built: sdist, wheel from the sdist, wheel from the tree,
    editable wheel; the tree's wheel installed non-editably into SITE."""
    tmp = tmp_path_factory.mktemp('mim')
    src = str(tmp / 'src')
    copied = copy_sources(repo_root, src)
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check']
    build_meta = ('import sys; from setuptools import build_meta as b; '
                  'print(getattr(b, sys.argv[1])(sys.argv[2]))')
    sdist_dir, from_sdist, wheels, editable = (str(tmp / d) for d in
                                               ('sdist', 'from_sdist', 'wheels', 'editable'))
    sdist = _run([sys.executable, '-c', build_meta, 'build_sdist', sdist_dir], src).split()[-1]
    with tarfile.open(osp.join(sdist_dir, sdist)) as tar:
        sdist_names = [n.split('/', 1)[1] for n in tar.getnames() if '/' in n]
        safe = {'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}
        tar.extractall(str(tmp / 'sdist_src'), **safe)
    sdist_src = osp.join(str(tmp / 'sdist_src'), sdist[:-len('.tar.gz')])
    _run(pip + ['wheel', '.', '--no-deps', '--no-build-isolation', '-w', from_sdist], sdist_src)
    _run(pip + ['wheel', '.', '--no-deps', '--no-build-isolation', '-w', wheels], src)
    editable_wheel = _run([sys.executable, '-c', build_meta, 'build_editable', editable],
                          src).split()[-1]
    (wheel,) = [osp.join(wheels, f) for f in os.listdir(wheels) if f.endswith('.whl')]
    (wheel_from_sdist,) = [osp.join(from_sdist, f) for f in os.listdir(from_sdist)]
    site = str(tmp / 'site')
    _run(pip + ['install', '--no-deps', '--target', site, wheel], str(tmp))
    outside = tmp / 'outside'
    outside.mkdir()
    env = dict(os.environ, PYTHONPATH=site)
    return dict(tmp=tmp, src=src, copied=copied, site=site, wheel=wheel,
                wheel_from_sdist=wheel_from_sdist,
                sdist_names=sdist_names, editable=osp.join(editable, editable_wheel),
                outside=str(outside), env=env)


def _wheel_names(path):
    with zipfile.ZipFile(path) as whl:
        return set(whl.namelist())


def test_the_build_copy_holds_the_sources_and_nothing_git_ignores(built, repo_root):
    """The copy that is built has every source the package needs and none of the ignored
    folders of a working checkout (.venv, .venv-torch2.1, work_dirs, data, caches)."""
    copied = set(built['copied'])
    for needed in ('setup.py', 'MANIFEST.in', 'model-index.yml', 'mls_mm/__init__.py',
                   'tools/train.py', f'configs/mocov2/{PRETRAIN}'):
        assert needed in copied, needed
    ignored = [p for p in copied if p.split('/')[0] in ('.git', 'work_dirs', 'data', 'build')
               or p.split('/')[0].startswith('.venv') or '__pycache__' in p
               or p.endswith('.pyc') or '.egg-info/' in p]
    assert not ignored, ignored[:10]


def test_wheels_hold_configs_tools_and_model_index(built, repo_root):
    """Both wheels (from the tree, from the sdist) carry every config and tool in .mim."""
    expected = {'mls_mm/.mim/' + rel for rel in built['copied']
                if rel.split('/')[0] in ('configs', 'tools')}
    assert set(MIM_FILES) - {'mls_mm/.mim/model-index.yml'} <= expected
    expected.add('mls_mm/.mim/model-index.yml')
    for wheel in (built['wheel'], built['wheel_from_sdist']):
        names = _wheel_names(wheel)
        assert set(MIM_FILES) <= names, (wheel, set(MIM_FILES) - names)
        missing = expected - names
        assert not missing, (wheel, sorted(missing)[:10])
        assert not [n for n in names if '__pycache__' in n or n.endswith('.pyc')]
    for name in ('model-index.yml', 'setup.py', 'MANIFEST.in', f'configs/mocov2/{PRETRAIN}',
                 'tools/train.py', 'tools/test.py'):
        assert name in built['sdist_names'], name


def test_editable_build_adds_no_mim_copy(built):
    """`pip install -e .` keeps using the checkout: the editable wheel has no .mim and maps
    mls_mm to the source folder, and no build writes mls_mm/.mim into the source tree."""
    names = _wheel_names(built['editable'])
    assert not [n for n in names if '.mim' in n], names
    assert not osp.exists(osp.join(built['src'], 'mls_mm', '.mim'))
    esite = str(built['tmp'] / 'esite')
    _run([sys.executable, '-m', 'pip', '--disable-pip-version-check', 'install', '--no-deps',
          '--target', esite, built['editable']], built['outside'])
    # -S: not .venv's site-packages (its own editable finder maps mls_mm to the repository)
    origin = _run([sys.executable, '-S', '-c',
                   'import site, sys, importlib.util; site.addsitedir(sys.argv[1]); '
                   'print(importlib.util.find_spec("mls_mm").origin)', esite],
                  built['outside']).strip()
    assert origin == osp.join(built['src'], 'mls_mm', '__init__.py')


def test_imports_the_installed_copy(built, repo_root):
    out = _run([sys.executable, '-c', 'import mls_mm; print(mls_mm.__file__)'],
               built['outside'], built['env'])
    path = out.strip().splitlines()[-1]
    assert path == osp.join(built['site'], 'mls_mm', '__init__.py'), path
    assert not path.startswith(repo_root)


def test_mim_search_lists_the_model_index(built, repo_root):
    out = _run([_mim(), 'search', 'mls_mm'], built['outside'], built['env'])
    with open(osp.join(repo_root, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    names = []
    for rel in imports:
        with open(osp.join(repo_root, rel)) as f:
            names += [m['Name'] for m in yaml.safe_load(f)['Models']]
    listed = [line.split(':', 1)[1].strip() for line in out.splitlines()
              if line.startswith('config id:')]
    assert sorted(listed) == sorted(names)
    assert 'mocov2_resnet18_1xb32-coslr-10e_scenes' in listed


def test_mim_train_then_probe_train_and_test(built, scenes_root):
    """mim finds a bare config name in .mim/configs and runs .mim/tools/{train,test}.py."""
    mim, tmp, env, cwd = _mim(), built['tmp'], built['env'], built['outside']
    mim_root = osp.join(built['site'], 'mls_mm', '.mim')
    work = str(tmp / 'W')
    out = _run([mim, 'train', 'mls_mm', PRETRAIN, '--work-dir', work, '--cfg-options',
                'train_cfg.max_epochs=1', f'train_dataloader.dataset.data_root={scenes_root}',
                'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
                'custom_hooks=[]'], cwd, env)
    assert osp.join(mim_root, 'tools', 'train.py') in out
    assert osp.join(mim_root, 'configs', 'mocov2', PRETRAIN) in out
    assert osp.isfile(osp.join(work, 'epoch_1.pth')), os.listdir(work)

    data = []
    for split in ('train', 'val', 'test'):
        data += [f'{split}_dataloader.dataset.data_root={scenes_root}',
                 f'{split}_dataloader.num_workers=0',
                 f'{split}_dataloader.persistent_workers=False']
    probe = str(tmp / 'P')
    out = _run([mim, 'train', 'mls_mm', PROBE, '--work-dir', probe, '--cfg-options',
                f'model.backbone.init_cfg.checkpoint={work}/epoch_1.pth',
                'train_cfg.max_epochs=1'] + data, cwd, env)
    assert osp.join(mim_root, 'configs', 'benchmarks', 'classification', 'scenes',
                    PROBE) in out
    assert osp.isfile(osp.join(probe, 'epoch_1.pth')), os.listdir(probe)

    metrics = str(tmp / 'metrics.json')
    out = _run([mim, 'test', 'mls_mm', PROBE, '--checkpoint', f'{probe}/epoch_1.pth',
                '--work-dir', str(tmp / 'PT'), '--out', metrics, '--out-item', 'metrics',
                '--cfg-options'] + data, cwd, env)
    assert osp.join(mim_root, 'tools', 'test.py') in out
    with open(metrics) as f:
        result = json.load(f)
    assert 0 <= result['multi-label/mAP'] <= 100, result
