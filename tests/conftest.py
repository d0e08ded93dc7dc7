import os.path as osp
import sys
import warnings

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


def _named_instance_classes():
    """The mmengine classes whose instances are looked up by name (``get_instance``): the
    default scope, visualizers (and their subclasses), loggers and message hubs."""
    from mmengine.logging import MessageHub, MMLogger
    from mmengine.registry import DefaultScope
    from mmengine.visualization import Visualizer
    classes, todo = [], [DefaultScope, Visualizer, MMLogger, MessageHub]
    while todo:
        cls = todo.pop()
        classes.append(cls)
        todo.extend(cls.__subclasses__())
    return classes


@pytest.fixture(autouse=True)
def isolated_named_instances():
    """Forget (and close) the named mmengine instances a test created.
    - The default scope a test sets (``register_all_modules()``, a Runner): otherwise the
      registries of later tests resolve in mmdet's or mmseg's scope.
    - Visualizers: mmengine builds them through ``get_instance(name)``, and mmdet's and mmseg's
      configs name theirs 'visualizer', so a second Runner in the same process would reuse the
      first one, whose backends still write into the first test's (by then removed) work_dir.
    - Loggers and message hubs, named after the config and the second, so they can collide too.
    """
    before = {cls: dict(cls._instance_dict) for cls in _named_instance_classes()}
    yield
    created = []
    for cls in _named_instance_classes():
        kept = before.get(cls, {})
        created += [i for n, i in cls._instance_dict.items() if kept.get(n) is not i]
        cls._instance_dict.clear()
        cls._instance_dict.update(kept)
    from mmengine.logging import MMLogger
    for instance in {id(i): i for i in created}.values():
        try:
            if isinstance(instance, MMLogger):
                for handler in list(instance.handlers):
                    handler.close()
            elif hasattr(instance, 'close'):
                instance.close()
        except Exception as err:  # a backend whose work_dir went with the test's tmp_path
            warnings.warn(f'closing {type(instance).__name__} after the test: {err!r}')
