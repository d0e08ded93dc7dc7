"""Build hook only: the metadata is in pyproject.toml.

OpenMMLab's ``mim`` finds a package's configs, tools and model index under ``PACKAGE/.mim``
(``mim train mls_mm CONFIG`` runs ``mls_mm/.mim/tools/train.py``, ``mim test`` its
``tools/test.py``, ``mim search mls_mm`` reads ``mls_mm/.mim/model-index.yml``). As in
mmpretrain's ``setup.py`` (``add_mim_extension``), ``configs/``, ``tools/`` and
``model-index.yml`` are copied into ``mls_mm/.mim`` for a non-editable build (``pip install .``,
``pip wheel .``, a wheel built from the sdist). Unlike mmpretrain, the copy goes into the build
directory (``build/lib/mls_mm/.mim``), not into the source tree, so a build leaves no stale
``mls_mm/.mim`` behind. An editable install (``pip install -e .``) gets nothing: it imports the
checkout, whose ``configs/`` and ``tools/`` are used directly (``python tools/train.py CONFIG``).
"""
import os
import os.path as osp
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')
IGNORE = shutil.ignore_patterns('__pycache__', '*.pyc', '*.pyo')


class BuildPyWithMim(build_py):
    """build_py that also writes ``mls_mm/.mim`` into the build directory."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return  # pip install -e .: the checkout is used in place
        mim_dir = osp.join(self.build_lib, 'mls_mm', '.mim')
        if osp.isdir(mim_dir):
            shutil.rmtree(mim_dir)
        os.makedirs(mim_dir)
        for name in MIM_FILES:
            src = osp.join(ROOT, name)
            dst = osp.join(mim_dir, name)
            if osp.isdir(src):
                shutil.copytree(src, dst, ignore=IGNORE)
            elif osp.isfile(src):
                shutil.copyfile(src, dst)
            else:
                raise FileNotFoundError(
                    f'{src} is missing: a wheel without it would break `mim` '
                    '(is MANIFEST.in including it in the sdist?)')


setup(cmdclass={'build_py': BuildPyWithMim})
