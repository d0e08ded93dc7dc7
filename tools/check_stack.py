"""Proves the installed stack works: imports, versions, and mmcv's compiled ops.

    python tools/check_stack.py                   # the pinned stack of tools/install.sh
    python tools/check_stack.py --existing-stack  # your own stack: the ranges in pyproject.toml

``--existing-stack`` (or ``MLS_MM_USE_EXISTING_STACK=1``) checks versions against the ranges
that ``pyproject.toml`` declares instead of the pins. ``mmcv.ops.nms`` and ``RoIAlign`` run on
a CPU tensor and, when torch sees a GPU, on a CUDA tensor; an mmcv built with CPU ops only on
a machine whose torch sees a GPU is a problem (unless ``MLS_MM_MMCV_BUILD=cpu`` asked for it).
Exits non-zero with a message naming what is missing or wrong and the fix.
"""
import argparse
import importlib
import os
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PINS = {
    'torch': '2.14.1',
    'torchvision': '0.29.1',
    'mmengine': '0.10.7',
    'mmcv': '2.1.0',
    'mmpretrain': '1.2.0',
    'mmdet': '3.3.0',
    'mmseg': '1.2.2',
}
REBUILD = ('rebuild: rm -f .venv/.mls_mm_stack && bash tools/install.sh (with an nvcc of '
           "torch's CUDA version for CUDA ops; see docs/compatibility.md)")


def declared_requirements(pyproject: str = osp.join(ROOT, 'pyproject.toml')) -> tuple:
    """(runtime requirements, optional ones) as requirement strings from ``pyproject.toml``."""
    with open(pyproject, 'rb') as f:
        text = f.read().decode()
    try:
        import tomllib
    except ImportError:  # Python < 3.11: the two arrays are simple enough to read directly
        text = re.sub(r'#.*', '', text)
        runtime = re.search(r'^dependencies = \[(.*?)^\]', text, re.S | re.M).group(1)
        extras = re.search(r'^\[project.optional-dependencies\](.*?)(?:^\[|\Z)', text,
                           re.S | re.M).group(1)
        return re.findall(r'"([^"]+)"', runtime), re.findall(r'"([^"]+)"', extras)
    project = tomllib.loads(text)['project']
    extras = [r for reqs in project.get('optional-dependencies', {}).values() for r in reqs]
    return list(project['dependencies']), extras


#: distribution name -> import name, where they differ
MODULES = {'mmsegmentation': 'mmseg', 'pycocotools': 'pycocotools.coco'}


def check_ranges() -> list:
    """Problems with the installed versions against the declared ranges (extras: if present),
    and with importing what is installed."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement
    problems = []
    runtime, extras = declared_requirements()
    for spec, optional in [(r, False) for r in runtime] + [(r, True) for r in extras]:
        req = Requirement(spec)
        try:
            got = version(req.name)
        except PackageNotFoundError:
            if not optional:
                problems.append(f'{req.name}: not installed (pyproject.toml declares {spec})')
            continue
        if not req.specifier.contains(got.split('+')[0], prereleases=True):
            problems.append(f'{req.name}: version {got}, pyproject.toml declares {spec}')
        elif req.name.startswith(('torch', 'mm')):
            try:
                importlib.import_module(MODULES.get(req.name, req.name))
            except Exception as exc:  # noqa: BLE001 - report any import failure
                problems.append(f'{req.name} {got}: cannot import ({exc!r})')
    return problems


def check_pins() -> list:
    problems = []
    for name, want in PINS.items():
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - report any import failure
            problems.append(f'{name}: cannot import ({exc!r})')
            continue
        got = module.__version__.split('+')[0]
        if got != want:
            problems.append(f'{name}: version {got}, expected {want} (a stack of your own: '
                            'tools/check_stack.py --existing-stack)')
    return problems


def check_opencv() -> list:
    """The pinned stack's OpenCV is the headless build alone: ``opencv-python`` needs libGL,
    and beside ``-headless`` both packages write ``cv2/``."""
    from importlib.metadata import PackageNotFoundError, version
    problems = []
    try:
        problems.append(f'opencv-python {version("opencv-python")} is installed (it needs '
                        'libGL, and writes cv2/ beside opencv-python-headless): ' + REBUILD)
    except PackageNotFoundError:
        pass
    try:
        version('opencv-python-headless')
        import cv2  # noqa: F401
    except PackageNotFoundError:
        problems.append('opencv-python-headless: not installed (requirements.txt): ' + REBUILD)
    except Exception as exc:  # noqa: BLE001 - report any import failure
        problems.append(f'cv2: cannot import ({exc!r})')
    return problems


def run_ops(device: str) -> list:
    """Problems of ``mmcv.ops.nms`` and ``RoIAlign`` on ``device`` tensors ([] when they work)."""
    import torch
    from mmcv.ops import RoIAlign, nms
    problems = []
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.], [50., 50., 60., 60.]],
                         device=device)
    scores = torch.tensor([0.9, 0.8, 0.7], device=device)
    _, keep = nms(boxes, scores, iou_threshold=0.5)
    if keep.tolist() != [0, 2]:
        problems.append(f'mmcv.ops.nms on {device}: kept {keep.tolist()}, expected [0, 2]')
    feats = torch.arange(16., device=device).view(1, 1, 4, 4)
    rois = torch.tensor([[0., 0., 0., 4., 4.]], device=device)
    out = RoIAlign((1, 1), spatial_scale=1.0, sampling_ratio=1, aligned=True)(feats, rois)
    # aligned=True: the box's centre is pixel coordinate (1.5, 1.5), where the ramp y * 4 + x
    # interpolates to 7.5
    if abs(out.item() - 7.5) > 1e-4:
        problems.append(f'mmcv.ops.RoIAlign on {device}: got {out.item()}, expected 7.5')
    return problems


def check_ops() -> tuple:
    """(problems, notes, devices the ops run on)."""
    import torch
    problems, notes, devices = [], [], []
    try:
        found = run_ops('cpu')
        problems += found
        devices += [] if found else ['cpu']
    except Exception as exc:  # noqa: BLE001
        problems.append(f'mmcv ops on the CPU (compiled extension mmcv._ext): {exc!r}; '
                        f'{REBUILD}')
    if torch.cuda.is_available():
        try:
            found = run_ops('cuda')
            problems += found
            devices += [] if found else ['cuda']
        except Exception as exc:  # noqa: BLE001
            what = (f'torch sees {torch.cuda.device_count()} GPU(s) but mmcv.ops fail on CUDA '
                    f'tensors ({exc!r}): mmcv was built with CPU ops only (or for another '
                    'GPU architecture), so detection / segmentation ops fail on the GPU')
            if os.environ.get('MLS_MM_MMCV_BUILD') == 'cpu':
                notes.append(what + ' (MLS_MM_MMCV_BUILD=cpu asked for this)')
            else:
                problems.append(f'{what}; {REBUILD}, or install OpenMMLab\'s prebuilt mmcv for '
                                f'torch {torch.__version__} / CUDA {torch.version.cuda}, or set '
                                'MLS_MM_MMCV_BUILD=cpu if CPU-only ops are what you want')
    else:
        notes.append('torch sees no GPU: mmcv ops not tried on CUDA')
    return problems, notes, devices


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--existing-stack', action='store_true',
                        default=os.environ.get('MLS_MM_USE_EXISTING_STACK') == '1',
                        help='check the ranges of pyproject.toml instead of the pins')
    args = parser.parse_args(argv)
    problems = check_ranges() if args.existing_stack else check_pins() + check_opencv()
    try:
        import numpy
        if int(numpy.__version__.split('.')[0]) >= 2:
            problems.append(f'numpy: version {numpy.__version__}, expected <2 '
                            '(mmcv 2.1.0 adjust_hue overflows under numpy 2)')
        import pycocotools.coco  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        problems.append(f'numpy/pycocotools: {exc!r}')
    notes, devices = [], []
    if not problems:
        found, notes, devices = check_ops()
        problems += found
    try:
        import mls_mm  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        problems.append(f'mls_mm: cannot import ({exc!r})')
    for note in notes:
        print(f'[check_stack] note: {note}')
    if problems:
        print('[check_stack] FAILED:\n  ' + '\n  '.join(problems), file=sys.stderr)
        return 1
    if args.existing_stack:
        from importlib.metadata import version
        found = []
        for name in ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmpretrain', 'mmdet',
                     'mmsegmentation'):
            try:
                found.append(f'{name} {version(name)}')
            except Exception:  # noqa: BLE001 - optional packages
                pass
        versions = ', '.join(found) + ' (within the ranges of pyproject.toml)'
    else:
        versions = ', '.join(f'{k} {v}' for k, v in PINS.items())
    print(f'[check_stack] mmcv ops run on: {", ".join(devices)}')
    print(f'[check_stack] ok: {versions}; mmcv.ops.nms and RoIAlign run on the CPU'
          + (' and on CUDA' if 'cuda' in devices else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
