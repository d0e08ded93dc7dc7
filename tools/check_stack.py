"""Proves the installed stack works: imports, versions, and mmcv's compiled CPU ops.

Exits non-zero with a message naming what is missing or wrong.
"""
import importlib
import sys

PINS = {
    'torch': '2.14.1',
    'torchvision': '0.29.1',
    'mmengine': '0.10.7',
    'mmcv': '2.1.0',
    'mmpretrain': '1.2.0',
    'mmdet': '3.3.0',
    'mmseg': '1.2.2',
}


def main() -> int:
    problems = []
    for name, want in PINS.items():
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - report any import failure
            problems.append(f'{name}: cannot import ({exc!r})')
            continue
        got = module.__version__.split('+')[0]
        if got != want:
            problems.append(f'{name}: version {got}, expected {want}')
    try:
        import numpy
        if int(numpy.__version__.split('.')[0]) >= 2:
            problems.append(f'numpy: version {numpy.__version__}, expected <2 '
                            '(mmcv 2.1.0 adjust_hue overflows under numpy 2)')
        import pycocotools.coco  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        problems.append(f'numpy/pycocotools: {exc!r}')
    if not problems:
        try:
            import torch
            from mmcv.ops import RoIAlign, nms
            boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.],
                                  [50., 50., 60., 60.]])
            scores = torch.tensor([0.9, 0.8, 0.7])
            _, keep = nms(boxes, scores, iou_threshold=0.5)
            if keep.tolist() != [0, 2]:
                problems.append(f'mmcv.ops.nms: kept {keep.tolist()}, expected [0, 2]')
            feats = torch.arange(16.).view(1, 1, 4, 4)
            rois = torch.tensor([[0., 0., 0., 4., 4.]])
            out = RoIAlign((1, 1), spatial_scale=1.0, sampling_ratio=1,
                           aligned=True)(feats, rois)
            # aligned=True: the box's centre is pixel coordinate (1.5, 1.5), where the ramp y * 4 + x
            # interpolates to 7.5
            if abs(out.item() - 7.5) > 1e-4:
                problems.append(f'mmcv.ops.RoIAlign: got {out.item()}, expected 7.5')
        except Exception as exc:  # noqa: BLE001
            problems.append(f'mmcv ops (compiled CPU extension mmcv._ext): {exc!r}; '
                            'rebuild with `rm -rf ~/.cache/mls_mm/wheels && bash tools/install.sh`')
    try:
        import mls_mm  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        problems.append(f'mls_mm: cannot import ({exc!r})')
    if problems:
        print('[check_stack] FAILED:\n  ' + '\n  '.join(problems), file=sys.stderr)
        return 1
    print('[check_stack] ok: ' + ', '.join(f'{k} {v}' for k, v in PINS.items())
          + '; mmcv.ops.nms and RoIAlign run on the CPU')
    return 0


if __name__ == '__main__':
    sys.exit(main())
