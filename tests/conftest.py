import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)  # so that `tools.*` imports without installing

from mls_mm.datasets import generate_scenes  # noqa: E402


@pytest.fixture(scope='session')
def scenes_root(tmp_path_factory):
    """A small built-in scene dataset shared by the tests (never modified by them)."""
    root = str(tmp_path_factory.mktemp('scenes'))
    generate_scenes(root, num_train=64, num_val=16, image_size=64, seed=1)
    return root


@pytest.fixture(scope='session')
def repo_root():
    return ROOT


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """Undo the mmengine default scope a test sets (``register_all_modules()``, a Runner):
    otherwise the registries of later tests resolve in mmdet's or mmseg's scope."""
    from mmengine.registry import DefaultScope
    before = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(before)


def _visualizer_classes():
    from mmengine.visualization import Visualizer
    classes, todo = [], [Visualizer]
    while todo:
        cls = todo.pop()
        classes.append(cls)
        todo.extend(cls.__subclasses__())
    return classes


@pytest.fixture(autouse=True)
def isolated_visualizers():
    """Forget the visualizers a test's Runners created. mmengine builds a visualizer through
    ``get_instance(name)``, and mmdet's and mmseg's configs name theirs 'visualizer', so a
    second Runner in the same process would reuse the first one, whose backends still write
    into the first test's (by then removed) work_dir."""
    before = {cls: dict(cls._instance_dict) for cls in _visualizer_classes()}
    yield
    for cls in _visualizer_classes():
        cls._instance_dict.clear()
        cls._instance_dict.update(before.get(cls, {}))
