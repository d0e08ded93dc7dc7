"""The ``--cfg-options`` that point every ``CheckedPretrained`` module of a config at one file.

A downstream config may load the converted weights in more than one module: the backbone,
and in C4 detectors the res5 ROI head (``model.roi_head.shared_head``, its keys are the
backbone's ``layer4.*``). A launcher that sets only ``model.backbone.init_cfg`` leaves the
others at ``checkpoint=''``, which ``CheckedPretrained`` refuses. :func:`init_cfg_options`
lists, for each such module, ``<key>.init_cfg.checkpoint=<file>`` and
``<key>.init_cfg.prefix=<prefix>``. A file written by ``tools/model_converters/
extract_backbone.py`` holds the backbone's keys without a prefix, so the prefix is ``''`` for
every module (each module's own ``ignore_unexpected`` picks its part of the file).

    python -m mls_mm.transfer.init_targets CONFIG CHECKPOINT [--prefix '']
"""
import argparse
import sys
from typing import List, Optional

from .targets import checked_init_modules


def checked_pretrained_keys(config: str) -> List[str]:
    """Config keys (``'model.backbone'``, ``'model.roi_head.shared_head'``, ...) of the modules
    whose ``init_cfg`` is a ``CheckedPretrained``.

    Raises:
        ValueError: naming the config if it has none (nothing would load the weights).
    """
    try:
        modules = checked_init_modules(config, target=None)
    except ValueError:  # no CheckedPretrained: the fallback (model.backbone) wants a target
        modules = []
    keys = [key for key, _, init in modules if init.get('type') == 'CheckedPretrained']
    if not keys:
        raise ValueError(f'{config}: no module of model has init_cfg type CheckedPretrained, '
                         'so no --cfg-options can make it load the converted weights')
    return keys


def init_cfg_options(config: str, checkpoint: str, prefix: str = '') -> List[str]:
    """``key=value`` strings for ``tools/train.py --cfg-options``: every ``CheckedPretrained``
    module of ``config`` loads ``checkpoint`` under ``prefix``."""
    options = []
    for key in checked_pretrained_keys(config):
        options += [f'{key}.init_cfg.checkpoint={checkpoint}', f'{key}.init_cfg.prefix={prefix}']
    return options


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--prefix', default='', help="prefix of the keys in CHECKPOINT "
                        "(default '': a file written by extract_backbone.py)")
    args = parser.parse_args(argv)
    try:
        options = init_cfg_options(args.config, args.checkpoint, args.prefix)
    except (ValueError, FileNotFoundError) as err:
        print(f'init_targets: {err}', file=sys.stderr)
        return 1
    print('\n'.join(options))
    return 0


if __name__ == '__main__':
    sys.exit(main())
