"""Print the whole config (bases merged, ``--cfg-options`` applied), as mmpretrain's
tools/misc/print_config.py.

    python tools/misc/print_config.py CONFIG [--cfg-options key=value ...]

The config's ``custom_imports`` (``mls_mm``) are imported first, so a config naming the
plugin's modules parses as tools/train.py sees it. The text is ``Config.pretty_text``, valid
Python: ``Config.fromstring(text, '.py')`` reads it back to the same config. It goes to stdout
unwrapped (mmpretrain prints it through rich, which wraps long lines at the terminal width).
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. train_cfg.max_epochs=2')
    return parser.parse_args(argv)


def config_text(path: str, cfg_options=None) -> str:
    """``pretty_text`` of the config at ``path`` with ``cfg_options`` merged in."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path, import_custom_modules=True)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg.pretty_text


def main(argv=None):
    args = parse_args(argv)
    sys.stdout.write(config_text(args.config, args.cfg_options).rstrip('\n') + '\n')


if __name__ == '__main__':
    main()
