"""The pinned stack carries OpenCV's headless build alone (no libGL needed): nothing installed
requires ``opencv-python``, and tools/check_stack.py names it when it is there."""
import importlib.metadata
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest
from packaging.requirements import Requirement

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location('check_stack', osp.join(ROOT, 'tools',
                                                                        'check_stack.py'))
check_stack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_stack)


def _pinned_stack():
    if os.environ.get('MLS_MM_USE_EXISTING_STACK') == '1' or check_stack.check_pins():
        pytest.skip('not the pinned stack of tools/install.sh')


def requirers_of(name):
    """Installed distributions whose (unconditional or marker-true) requirements name ``name``."""
    found = []
    for dist in importlib.metadata.distributions():
        for line in dist.requires or []:
            req = Requirement(line)
            if req.name.lower() == name and (req.marker is None or req.marker.evaluate()):
                found.append(dist.metadata['Name'])
    return found


def test_the_pinned_stack_has_headless_opencv_only():
    _pinned_stack()
    assert check_stack.check_opencv() == []
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.version('opencv-python')
    assert requirers_of('opencv-python') == []
    # mmengine and mmcv were built with cv2 present, so they declare no OpenCV of their own
    assert not {'mmengine', 'mmcv'} & {n.lower() for n in requirers_of('opencv-python-headless')}
    out = subprocess.run([sys.executable, '-m', 'pip', 'check'], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


def test_check_stack_names_a_gui_opencv(monkeypatch):
    real = importlib.metadata.version

    def version(name):
        return {'opencv-python': '4.10.0.84'}.get(name) or real(name)

    monkeypatch.setattr(importlib.metadata, 'version', version)
    (problem, ) = check_stack.check_opencv()
    assert problem.startswith('opencv-python 4.10.0.84 is installed (it needs libGL')
    assert 'bash tools/install.sh' in problem


def test_check_stack_names_a_missing_headless_opencv(monkeypatch):
    real = importlib.metadata.version

    def version(name):
        if name.startswith('opencv-python'):
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, 'version', version)
    assert check_stack.check_opencv() == [
        'opencv-python-headless: not installed (requirements.txt): ' + check_stack.REBUILD]
