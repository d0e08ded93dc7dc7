"""tools/misc/print_config.py prints a config that reads back to the one Config.fromfile gives
with the same overrides."""
import argparse
import os.path as osp

import pytest
from mmengine.config import Config, DictAction

from tools.misc import print_config

CONFIGS = [
    'configs/bam/bam_resnet18_1xb32-coslr-10e_scenes.py',
    'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py',
]
OPTIONS = ['train_cfg.max_epochs=3', 'model.queue_len=64',  # a new key for BAM
           'train_dataloader.dataset.data_root=/tmp/my_scenes/']


def _options(options):
    """--cfg-options parsed as argparse does (mmengine's DictAction)."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


@pytest.mark.parametrize('config', CONFIGS)
def test_printed_text_reparses_to_the_same_config(repo_root, config, capsys):
    path = osp.join(repo_root, config)
    print_config.main([path, '--cfg-options', *OPTIONS])
    printed = Config.fromstring(capsys.readouterr().out, '.py')

    expected = Config.fromfile(path)
    expected.merge_from_dict(_options(OPTIONS))
    assert printed.to_dict() == expected.to_dict()
    # the overrides really are in the text (and the config is not the unmodified one)
    assert printed.train_cfg.max_epochs == 3 and printed.model.queue_len == 64
    assert printed.train_dataloader.dataset.data_root == '/tmp/my_scenes/'
    assert printed.to_dict() != Config.fromfile(path).to_dict()


def test_missing_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='config file not found: .*nope.py'):
        print_config.main([str(tmp_path / 'nope.py')])
