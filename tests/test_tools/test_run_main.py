"""The main job's plan: every stage a command of its own, done runs skipped, checkpoints resolved."""
import os
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                            'tools'))
import run_main  # noqa: E402


def test_plan_covers_every_stage_and_method(capsys):
    run_main.main(['--dry-run', '--root', 'wd'])
    out = capsys.readouterr().out
    for method in ('mocov2', 'simsiam', 'mls', 'bam'):
        assert f'pretrain: {method}' in out and f'--work-dir wd/pretrain/{method}' in out
        assert f'transfer: {method}' in out and f'WORK_DIR=wd/transfer/{method}' in out
        assert f'$(cat wd/pretrain/{method}/last_checkpoint)' in out
    assert 'probe: random' in out and 'transfer: random' in out
    assert out.count('model.backbone.init_cfg=None') == 2   # random init is asked for by name
    for tool in ('generate_scenes.py', 'collect_results.py', 'plot_curves.py',
                 'mls_neighbours.py'):
        assert tool in out
    # every configuration named exists
    for config in list(run_main.PRETRAIN.values()) + [run_main.PROBE, run_main.TRANSFER]:
        assert osp.isfile(osp.join(run_main.ROOT, config)), config


def test_done_runs_are_skipped_and_checkpoints_resolved(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(run_main, 'ROOT', str(tmp_path))
    run_dir = tmp_path / 'wd' / 'pretrain' / 'mocov2'
    os.makedirs(run_dir)
    (run_dir / 'last_checkpoint').write_text(str(run_dir / 'epoch_10.pth') + '\n')
    assert run_main.resolve(f'x={run_main.LAST}wd/pretrain/mocov2') == \
        f'x={run_dir}/epoch_10.pth'
    with pytest.raises(FileNotFoundError, match='simsiam/last_checkpoint'):
        run_main.resolve(f'x={run_main.LAST}wd/pretrain/simsiam')
    (run_dir / '.done').write_text('')
    run_main.main(['--root', 'wd', '--methods', 'mocov2', '--stages', 'pretrain'])
    assert 'pretrain: mocov2: done before, skipped' in capsys.readouterr().out


def test_a_failing_step_names_its_command_and_log(tmp_path, monkeypatch):
    monkeypatch.setattr(run_main, 'ROOT', str(tmp_path))
    with pytest.raises(RuntimeError, match=r'pretrain boom failed[\s\S]*no such config'):
        run_main.run_step('pretrain', 'boom', None,
                          [sys.executable, '-c', 'import sys; sys.exit("no such config")'], {},
                          str(tmp_path / 'boom.log'))
    assert 'no such config' in (tmp_path / 'boom.log').read_text()
