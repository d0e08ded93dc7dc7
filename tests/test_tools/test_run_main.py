"""The main job's plan: every stage a command of its own, done runs skipped, checkpoints resolved."""
import json
import os
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                            'tools'))
import run_main  # noqa: E402
import run_records  # noqa: E402


def test_plan_covers_every_stage_and_method(capsys):
    run_main.main(['--dry-run', '--root', 'wd'])
    out = capsys.readouterr().out
    for method in ('mocov2', 'simsiam', 'mls', 'bam'):
        assert f'pretrain: {method}' in out and f'--work-dir wd/pretrain/{method}' in out
        # the transfer: the backbone converted (checked), then tools/train.py from it
        backbone = f'wd/backbones/{method}/mmdet_backbone.pth'
        assert f'transfer: {method} backbone' in out and \
            f'$(cat wd/pretrain/{method}/last_checkpoint) {backbone} --target mmdet' in out
        assert f'transfer: {method}\n' in out and f'--work-dir wd/transfer/{method}' in out
        assert f'model.backbone.init_cfg.checkpoint={backbone}' in out
        assert f'model.backbone.init_cfg.checkpoint=$(cat wd/pretrain/{method}/' \
            'last_checkpoint)' in out  # the probe
    assert 'probe: random' in out and 'transfer: random' in out
    assert out.count('model.backbone.init_cfg=None') == 2   # random init is asked for by name
    assert out.count('randomness.seed=0') == 14  # 4 pretrainings, 5 probes, 5 transfers
    assert out.count('train_dataloader.dataset.indices=512') == 5  # low-data transfers
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
    with pytest.raises(RuntimeError, match='marked done but has no run_main.json'):
        run_main.main(['--root', 'wd', '--methods', 'mocov2', '--stages', 'pretrain'])
    (step, ) = run_main.plan(run_main.parse_args(['--root', 'wd', '--methods', 'mocov2',
                                                  '--stages', 'pretrain']))
    (run_dir / 'run_main.json').write_text(json.dumps(dict(wall_s=1.0, command=step[3],
                                                           threads=1)))
    with pytest.raises(RuntimeError, match='no digest of its inputs'):
        run_main.main(['--root', 'wd', '--methods', 'mocov2', '--stages', 'pretrain'])
    inputs = run_records.input_digest(run_main.ROOT, step[3])
    for made_with in (None, 2):  # torch's default threads (an older job's record), or 2
        (run_dir / 'run_main.json').write_text(json.dumps(dict(
            wall_s=1.0, command=step[3], inputs=inputs, threads=made_with)))
        with pytest.raises(RuntimeError, match=f"made with {made_with or 'torch.s default'} "
                                               '.*asks for 1 torch thread'):
            run_main.main(['--root', 'wd', '--methods', 'mocov2', '--stages', 'pretrain'])
    (run_dir / 'run_main.json').write_text(json.dumps(dict(
        wall_s=1.0, command=step[3], inputs=inputs, threads=1)))
    run_main.main(['--root', 'wd', '--methods', 'mocov2', '--stages', 'pretrain'])
    # an interrupted run is resumed only with the threads it was made with, too
    for made_with in (None, 2):
        (run_dir / run_records.PARTIAL).write_text(json.dumps(dict(
            wall_s=1.0, invocations=1, command=step[3], inputs=inputs, threads=made_with)))
        with pytest.raises(RuntimeError, match='holds an interrupted run made with '
                                               f"{made_with or 'torch.s default'} .*asks for 1"):
            run_records.read_partial(run_main.ROOT, 'wd/pretrain/mocov2', step[3], inputs, 1)
    assert run_records.read_partial(run_main.ROOT, 'wd/pretrain/mocov2', step[3], inputs,
                                    2) == (1.0, 1)
    assert 'pretrain: mocov2: done before, skipped' in capsys.readouterr().out
    # the same work_dir asked for with another seed or option is refused, not reused
    with pytest.raises(RuntimeError, match=r'another command \(randomness\.seed=0 .*\(was\) '
                                           r'randomness\.seed=0|another command'):
        run_main.main(['--root', 'wd', '--methods', 'mocov2', '--stages', 'pretrain',
                       '--cfg-options', 'train_cfg.max_epochs=1'])
    with pytest.raises(ValueError, match='seed twice'):
        run_main.main(['--root', 'wd', '--seeds', '1', '1', '--dry-run'])


def test_a_done_run_is_reused_only_under_the_same_inputs(tmp_path):
    """The record of a finished run holds a digest of what it read: its config with every
    ``_base_`` file it inherits (by content; a package base by name and installed version) and
    the checkpoint it starts from. Editing an inherited file, or redoing the pretraining that
    wrote the checkpoint, makes the job stop at that run instead of reusing it, naming the
    input; so does an interrupted run, and one whose record predates the digest."""
    import hashlib
    from importlib.metadata import version
    root = str(tmp_path)
    (tmp_path / 'configs' / '_base_').mkdir(parents=True)
    (tmp_path / 'configs' / '_base_' / 'b.py').write_text("x = 1\n")
    (tmp_path / 'configs' / 'a.py').write_text(
        "_base_ = ['./_base_/b.py', 'mmengine::c.py']\ny = {{_base_.x}}\n")
    a = str(tmp_path / 'configs' / 'a.py')
    assert run_records.config_files(a) == [a, str(tmp_path / 'configs/_base_/b.py'),
                                           'mmengine::c.py']
    checkpoint = tmp_path / 'pretrain' / 'epoch_10.pth'
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b'weights of the first pretraining')
    command = ['python', 'tools/train.py', 'configs/a.py', '--cfg-options',
               f'model.backbone.init_cfg.checkpoint={checkpoint}', 'k=v']
    config = hashlib.sha256(b'configs/a.py' + (tmp_path / 'configs/a.py').read_bytes()
                            + b'configs/_base_/b.py' + b'x = 1\n'
                            + f'mmengine::c.py@{version("mmengine")}'.encode())
    weights = hashlib.sha256(b'weights of the first pretraining')
    first = {'configs/a.py': config.hexdigest(), str(checkpoint): weights.hexdigest()}
    assert run_records.input_digest(root, command) == first
    # a file in the run's own work_dir is its output, not an input
    assert run_records.input_digest(root, command, 'pretrain') == {
        'configs/a.py': config.hexdigest()}
    run_dir = tmp_path / 'wd'
    run_dir.mkdir()
    (run_dir / 'run_main.json').write_text(json.dumps(dict(wall_s=1.0, command=command,
                                                           inputs=first)))
    run_records.check_same_command(root, 'wd', command)  # unchanged: reused
    checkpoint.write_bytes(b'weights of a redone pretraining')
    with pytest.raises(RuntimeError, match=r'wd was made from other contents of .*epoch_10\.pth'):
        run_records.check_same_command(root, 'wd', command)
    checkpoint.write_bytes(b'weights of the first pretraining')
    (tmp_path / 'configs' / '_base_' / 'b.py').write_text("x = 2\n")
    with pytest.raises(RuntimeError, match=r'wd was made from other contents of configs/a\.py'):
        run_records.check_same_command(root, 'wd', command)
    # an interrupted run resumed under the edited file stops too, as does one with no record
    (run_dir / run_records.PARTIAL).write_text(json.dumps(dict(
        command=command, inputs=first, wall_s=3.0, invocations=1)))
    with pytest.raises(RuntimeError, match=r'interrupted run made from other contents of '
                                           r'configs/a\.py \('):
        run_records.read_partial(root, 'wd', command, run_records.input_digest(root, command))
    (run_dir / run_records.PARTIAL).write_text(json.dumps(dict(
        command=command, wall_s=3.0, invocations=1)))
    with pytest.raises(RuntimeError, match='or with no record of them'):
        run_records.read_partial(root, 'wd', command, run_records.input_digest(root, command))
    # a _base_ that is not a literal is named, not guessed
    (tmp_path / 'configs' / 'a.py').write_text("_base_ = ['./_base_/b.py'] + []\n")
    with pytest.raises(ValueError, match=r'configs/a\.py: _base_ is not a literal'):
        run_records.input_digest(root, command)


def test_a_failing_step_names_its_command_and_log(tmp_path, monkeypatch):
    monkeypatch.setattr(run_main, 'ROOT', str(tmp_path))
    with pytest.raises(RuntimeError, match=r'pretrain boom failed[\s\S]*no such config'):
        run_main.run_step('pretrain', 'boom', None,
                          [sys.executable, '-c', 'import sys; sys.exit("no such config")'], {},
                          str(tmp_path / 'boom.log'))
    assert 'no such config' in (tmp_path / 'boom.log').read_text()


def test_a_single_other_seed_gets_its_own_root(capsys):
    run_main.main(['--dry-run', '--root', 'wd', '--seeds', '3'])
    out = capsys.readouterr().out
    assert '--work-dir wd/seed_3/pretrain/mocov2' in out and 'wd/pretrain' not in out
    assert '--root wd/seed_3' in out


def test_several_seeds_get_their_own_roots_and_one_table(capsys):
    run_main.main(['--dry-run', '--root', 'wd', '--seeds', '3', '7', '--cfg-options', 'a.b=1'])
    out = capsys.readouterr().out
    for seed in (3, 7):
        assert f'--work-dir wd/seed_{seed}/pretrain/mls' in out
        assert f'$(cat wd/seed_{seed}/pretrain/bam/last_checkpoint)' in out
        assert out.count(f'randomness.seed={seed}') == 14
    assert 'wd/pretrain' not in out and 'wd/backbones' not in out
    assert out.count('a.b=1') == 28  # every training run of both seeds
    assert '--seed-roots wd/seed_3 wd/seed_7' in out and '--out wd/results.md' in out


def test_the_seeds_command_on_a_tiny_case(tmp_path):
    """``--seeds 0 1`` for real, on 64 images and one epoch of MoCo v2 and its probe: each
    seed's runs in its own root, with its seed in the dumped config, and one table whose probe
    cell is the mean ± sample std of the two seeds' own logged mAP."""
    import json
    import statistics
    import subprocess
    root, data = tmp_path / 'runs', tmp_path / 'scenes'
    subprocess.run([sys.executable, 'tools/run_main.py', '--root', str(root), '--data', str(data),
                    '--num-train', '64', '--num-val', '16', '--seeds', '0', '1',
                    '--methods', 'mocov2', '--stages', 'data', 'pretrain', 'probe', 'tables',
                    '--cfg-options', 'train_cfg.max_epochs=1', 'custom_hooks=[]'],
                   cwd=run_main.ROOT, check=True, capture_output=True, text=True)
    maps = []
    for seed in (0, 1):
        for run in ('pretrain/mocov2', 'probe/mocov2', 'probe/random'):
            wd = root / f'seed_{seed}' / run
            assert (wd / '.done').exists()
            assert json.loads((wd / 'run_main.json').read_text())['wall_s'] > 0
            (config, ) = wd.glob('*/vis_data/config.py')
            assert f'seed={seed}' in config.read_text()
        (scalars, ) = (root / f'seed_{seed}' / 'probe/mocov2').glob('*/vis_data/scalars.json')
        records = [json.loads(line) for line in scalars.read_text().splitlines()]
        maps.append([r['multi-label/mAP'] for r in records if 'multi-label/mAP' in r][-1])
    table = (root / 'results.md').read_text()
    expected = f'{statistics.mean(maps):.2f} ± {statistics.stdev(maps):.2f}'
    assert expected in table, (expected, table)
    assert '| MoCo v2 | ' + str(data) + ' | 1 | 32 (1x32) | 64 |' in table


def test_the_transfer_steps_fine_tune_the_converted_backbone(tmp_path):
    """The transfer stage for real on a tiny case: the pretraining's online backbone, converted
    to mmdet's keys, equals the checkpoint's ``backbone.*`` tensor for tensor, and the
    fine-tuning loads exactly that file (``CheckedPretrained``) and is evaluated."""
    import subprocess
    import torch
    from mls_mm.transfer.init_targets import init_cfg_options
    root, data = tmp_path / 'runs', tmp_path / 'scenes'
    job = [sys.executable, 'tools/run_main.py', '--root', str(root), '--data', str(data),
           '--num-train', '32', '--num-val', '8', '--methods', 'mocov2',
           '--stages', 'data', 'pretrain', 'transfer', '--transfer-images', '8',
           '--cfg-options', 'train_cfg.max_epochs=1', 'custom_hooks=[]']
    out = subprocess.run(job, cwd=run_main.ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    pretrained = torch.load((root / 'pretrain/mocov2/last_checkpoint').read_text().strip(),
                            map_location='cpu', weights_only=False)['state_dict']
    backbone = root / 'backbones/mocov2/mmdet_backbone.pth'
    converted = torch.load(backbone, map_location='cpu', weights_only=False)['state_dict']
    expected = {k[len('backbone.'):]: v for k, v in pretrained.items()
                if k.startswith('backbone.')}
    assert converted.keys() == expected.keys()
    assert all(torch.equal(converted[k], expected[k]) for k in expected)
    for method in ('mocov2', 'random'):
        log = (root / f'transfer/{method}.log').read_text()
        assert 'coco/bbox_mAP' in log, log[-2000:]
        assert (root / f'transfer/{method}/.done').exists()
    log = (root / 'transfer/mocov2.log').read_text()
    assert f'CheckedPretrained: loaded {len(expected)} keys' in log and str(backbone) in log
    assert 'CheckedPretrained' not in (root / 'transfer/random.log').read_text()
    # the fine-tuning's options are those dist_train.sh takes from the converter
    (step, ) = [s for s in run_main.plan(run_main.parse_args(job[2:]))
                if s[:2] == ('transfer', 'mocov2')]
    assert set(init_cfg_options(run_main.TRANSFER, str(backbone))) <= set(step[3])
    # a second invocation reuses every run, the backbone's included
    again = subprocess.run(job, cwd=run_main.ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    for name in ('mocov2 backbone', 'mocov2', 'random'):
        assert f'transfer: {name}: done before, skipped' in again.stdout


def test_a_failing_forked_script_names_its_error_and_log(tmp_path, monkeypatch):
    """``--launch fork``: a script that raises, or exits with a message, fails its step as the
    interpreter would (exit 1, the traceback or message in the log), and never returns into
    this process."""
    monkeypatch.setattr(run_main, 'ROOT', str(tmp_path))
    script = tmp_path / 'boom.py'
    script.write_text('import sys\nprint("started")\nif sys.argv[1] == "raise":\n'
                      '    raise ValueError("bad key x.y")\nsys.exit("no such config")\n')
    for how, message in (('raise', 'ValueError: bad key x.y'), ('exit', 'no such config')):
        log = tmp_path / f'{how}.log'
        with pytest.raises(RuntimeError, match=rf'pretrain boom failed \(exit 1\)[\s\S]*{message}'):
            run_main.run_step('pretrain', 'boom', None, [sys.executable, str(script), how], {},
                              str(log), launch='fork')
        assert log.read_text().startswith('started\n') and message in log.read_text()
    assert run_main.forkable([sys.executable, str(script)], {})
    assert not run_main.forkable([sys.executable, str(script)], {'WORK_DIR': 'x'})
    assert not run_main.forkable(['bash', 'tools/dist_train.sh'], {})


def test_forked_steps_equal_new_interpreters(tmp_path):
    """The same tiny job with ``--launch fork`` (2 steps at a time) and ``--launch subprocess``
    (one at a time): every logged scalar of the pretraining and the probes is the same, to the
    last digit."""
    import json
    import subprocess
    data = tmp_path / 'scenes'
    scalars = {}
    for launch in ('subprocess', 'fork'):
        root = tmp_path / launch
        subprocess.run([sys.executable, 'tools/run_main.py', '--root', str(root), '--data',
                        str(data), '--num-train', '64', '--num-val', '16', '--methods', 'mocov2',
                        '--stages', 'data', 'pretrain', 'probe', '--launch', launch,
                        '--jobs', '2' if launch == 'fork' else '1',
                        '--cfg-options', 'train_cfg.max_epochs=1'],
                       cwd=run_main.ROOT, check=True, capture_output=True, text=True)
        runs = {}
        for run in ('pretrain/mocov2', 'probe/mocov2', 'probe/random'):
            (path, ) = (root / run).glob('*/vis_data/scalars.json')
            records = [json.loads(line) for line in path.read_text().splitlines()]
            runs[run] = [{k: v for k, v in r.items() if k not in ('time', 'data_time', 'eta')}
                         for r in records]
        scalars[launch] = runs
    assert scalars['fork']['pretrain/mocov2'] and scalars['fork']['probe/mocov2']
    assert any('knn/mAP' in r for r in scalars['fork']['pretrain/mocov2'])
    assert scalars['fork'] == scalars['subprocess']


@pytest.mark.parametrize('launch', ['fork', 'subprocess'])
def test_a_resumed_runs_wall_time_counts_its_interrupted_invocation(tmp_path, monkeypatch,
                                                                    launch):
    """The same command twice in one work_dir: it fails the first time, after a progress line,
    and succeeds the second; ``run_main.json`` counts both invocations."""
    monkeypatch.setattr(run_main, 'ROOT', str(tmp_path))
    script = tmp_path / 'step.py'
    script.write_text('import os, sys, time\ntime.sleep(0.3)\nprint("Epoch(train) [1][1/2]")\n'
                      'first = not os.path.exists(sys.argv[1])\nopen(sys.argv[1], "w").close()\n'
                      'sys.exit(1 if first else 0)\n')
    command = [sys.executable, str(script), str(tmp_path / 'interrupted-once')]
    wd = tmp_path / 'wd'
    with pytest.raises(RuntimeError, match='failed'):
        run_main.run_step('pretrain', 'x', 'wd', command, {}, str(tmp_path / 'x.log'), launch)
    first, invocations = run_records.read_partial(str(tmp_path), 'wd', command)
    assert first >= 0.3 and invocations == 1 and not (wd / '.done').exists()
    with pytest.raises(RuntimeError, match='interrupted run of another command'):
        run_main.run_step('pretrain', 'x', 'wd', command[:2] + ['other'], {},
                          str(tmp_path / 'x.log'), launch)
    run_main.run_step('pretrain', 'x', 'wd', command, {}, str(tmp_path / 'x.log'), launch)
    record = json.loads((wd / 'run_main.json').read_text())
    assert record['invocations'] == 2 and record['wall_s'] >= first + 0.3
    assert (wd / '.done').exists() and not (wd / run_records.PARTIAL).exists()


def test_a_forked_step_ends_as_an_interpreter_would(tmp_path, monkeypatch):
    """Non-daemonic threads are joined and daemonic child processes stopped before the forked
    step ends, and its exit code is the script's."""
    monkeypatch.setattr(run_main, 'ROOT', str(tmp_path))
    script = tmp_path / 'threads.py'
    script.write_text(
        'import multiprocessing, sys, threading, time\n'
        'def late():\n    time.sleep(0.5)\n    open(sys.argv[1], "w").write("thread")\n'
        'threading.Thread(target=late).start()\n'
        'd = multiprocessing.get_context("fork").Process(target=time.sleep, args=(600,), '
        'daemon=True)\nd.start()\nprint("daemon", d.pid, flush=True)\nsys.exit(3)\n')
    log = tmp_path / 'threads.log'
    with pytest.raises(RuntimeError, match=r'failed \(exit 3\)'):
        run_main.run_step('pretrain', 't', None, [sys.executable, str(script),
                                                  str(tmp_path / 'out')], {}, str(log), 'fork')
    assert (tmp_path / 'out').read_text() == 'thread'
    pid = int(log.read_text().split('daemon ')[1].split()[0])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_auto_launch_forks_only_on_linux_without_a_gpu(monkeypatch):
    """The GPU check asks NVML (``PYTORCH_NVML_BASED_CUDA_CHECK``, set for the check only)."""
    import torch
    monkeypatch.delenv('PYTORCH_NVML_BASED_CUDA_CHECK', raising=False)
    seen = []

    def nvml_check(gpu):
        def is_available():
            seen.append(os.environ.get('PYTORCH_NVML_BASED_CUDA_CHECK'))
            return gpu
        return is_available

    assert run_main.choose_launch('subprocess') == 'subprocess'
    monkeypatch.setattr(run_main.sys, 'platform', 'linux')
    monkeypatch.setattr(torch.cuda, 'is_available', nvml_check(True))
    assert run_main.choose_launch('auto') == 'subprocess'
    with pytest.raises(SystemExit, match='torch sees a GPU'):
        run_main.choose_launch('fork')
    monkeypatch.setattr(torch.cuda, 'is_available', nvml_check(False))
    assert run_main.choose_launch('auto') == 'fork'
    assert seen == ['1', '1', '1'] and 'PYTORCH_NVML_BASED_CUDA_CHECK' not in os.environ
    monkeypatch.setattr(run_main.sys, 'platform', 'darwin')
    assert run_main.choose_launch('auto') == 'subprocess'
    with pytest.raises(SystemExit, match='needs Linux'):
        run_main.choose_launch('fork')


def test_pretrain_epochs_stretch_the_schedule_of_the_pretrainings_only(capsys):
    """The README's GPU command, ``--pretrain-epochs 200 --seeds 0 1 2``: every pretraining
    twin resolves (as tools/train.py parses the options) to 200 epochs with its one cosine
    schedule ending at epoch 200; probes and transfers keep their own length; a clash with
    ``--cfg-options`` is refused."""
    import argparse

    from mmengine.config import DictAction

    from mls_mm.utils import load_config
    documented = ['--pretrain-epochs', '200', '--seeds', '0', '1', '2', '--root',
                  'work_dirs/main_200e']
    run_main.main(['--dry-run', *documented])
    assert capsys.readouterr().out.count('param_scheduler.0.T_max=200') == 12
    steps = run_main.plan(run_main.parse_args(documented))
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    assert [s[1] for s in steps if s[0] == 'pretrain'] == list(run_main.PRETRAIN) * 3
    for stage, method, _, command, _ in steps:
        if stage == 'pretrain':
            options = command[command.index('--cfg-options'):]
            cfg = load_config(osp.join(run_main.ROOT, command[2]), None,
                              parser.parse_args(options).cfg_options)
            assert cfg.train_cfg.max_epochs == 200, method
            (cosine, ) = cfg.param_scheduler
            assert (cosine.type, cosine.by_epoch, cosine.begin, cosine.T_max, cosine.end) == \
                ('CosineAnnealingLR', True, 0, 200, 200), method
        elif stage in ('probe', 'transfer'):
            assert not any(a.startswith(('param_scheduler', 'train_cfg.max_epochs=200'))
                           for a in command), (stage, method)
    # docs/scenes_benchmark.md's and configs/mls/README.md's single methods at 3 to 20 times the
    # steps, seed 0, and at BAM's view count (40 epochs) for seed 1 as well
    for method, epochs, seed in (
            ('mocov2', 30, 0), ('mocov2', 100, 0), ('bam', 30, 0), ('mls', 100, 0),
            ('bam', 60, 0), ('mls', 200, 0), ('mocov2', 200, 0), ('simsiam', 200, 0),
            ('mocov2', 40, 0), ('simsiam', 40, 0), ('mls', 40, 0),
            ('mocov2', 40, 1), ('simsiam', 40, 1), ('mls', 40, 1)):
        root = f'work_dirs/{method}_{epochs}e' + ('_seed1' if seed else '')
        seeds = ['--seeds', str(seed)] if seed else []
        (pretrain, *probes) = run_main.plan(run_main.parse_args(
            ['--methods', method, '--stages', 'pretrain', 'probe', '--pretrain-epochs',
             str(epochs), *seeds, '--root', root]))
        # one seed other than 0 gets its own folder, as several seeds do
        run_root = f'{root}/seed_{seed}' if seed else root
        assert pretrain[:3] == ('pretrain', method, f'{run_root}/pretrain/{method}')
        assert f'randomness.seed={seed}' in pretrain[3]
        assert pretrain[3][-3:] == [f'train_cfg.max_epochs={epochs}',
                                    f'param_scheduler.0.T_max={epochs}',
                                    f'param_scheduler.0.end={epochs}']
        assert [p[1] for p in probes] == [method, 'random'] and \
            not any(f'={epochs}' in a for p in probes for a in p[3])
    with pytest.raises(ValueError, match='both set the pretraining schedule'):
        run_main.plan(run_main.parse_args(['--pretrain-epochs', '30', '--cfg-options',
                                           'train_cfg.max_epochs=1']))
    with pytest.raises(ValueError, match='at least 1'):
        run_main.plan(run_main.parse_args(['--pretrain-epochs', '0']))


def test_precision_bfloat16_reaches_the_pretrainings_only(monkeypatch, capsys):
    """``--precision bfloat16`` gives each pretraining ``tools/train.py --bf16`` and no probe or
    transfer; float32 (the default) gives none; the job says when bfloat16 is emulated; the
    method folders (float32's rows) are not written from a bfloat16 run."""
    import mls_mm.engine
    for precision, flagged in ((None, False), ('float32', False), ('bfloat16', True)):
        argv = ['--root', 'wd'] + (['--precision', precision] if precision else [])
        for stage, name, _, command, _ in run_main.plan(run_main.parse_args(argv)):
            assert ('--bf16' in command) == (stage == 'pretrain' and flagged), (stage, name)
    monkeypatch.setattr(run_main, 'gpu_visible', lambda: False)
    for native in (True, False):
        monkeypatch.setattr(mls_mm.engine, 'cpu_has_native_bfloat16', lambda native=native: native)
        run_main.main(['--dry-run', '--root', 'wd', '--precision', 'bfloat16'])
        out = capsys.readouterr().out
        assert out.count(' --bf16 ') == 4 and 'pretraining with bfloat16 backbones' in out
        assert ('emulated, and slower than float32' in out) == (not native)
    run_main.main(['--dry-run', '--root', 'wd'])
    out = capsys.readouterr().out
    assert ' --bf16 ' not in out and 'bfloat16' not in out
    with pytest.raises(SystemExit):
        run_main.parse_args(['--precision', 'bfloat16', '--update-method-folders'])
    assert 'not with --precision bfloat16' in capsys.readouterr().err


def test_an_ablation_pretrains_with_its_options_and_probes_without_them(tmp_path):
    """The ablation commands of docs/scenes_benchmark.md on a tiny case: BAM pretrained with
    ``--stages pretrain --cfg-options model.head.stop_grad=False
    model.head.loss_clu.loss_weight=0.0`` (both reach the model: the dumped config holds them,
    and IA-CLoss logs exactly 0 while the total equals L_con), then ``--stages probe`` without
    them probes that checkpoint with the probe's own config."""
    import subprocess
    root, data = tmp_path / 'runs', tmp_path / 'scenes'
    common = [sys.executable, 'tools/run_main.py', '--root', str(root), '--data', str(data),
              '--num-train', '32', '--num-val', '8', '--methods', 'bam', '--jobs', '1']
    ablation = ['model.head.stop_grad=False', 'model.head.loss_clu.loss_weight=0.0']
    out = subprocess.run(common + ['--stages', 'data', 'pretrain', '--cfg-options',
                                   'train_cfg.max_epochs=1', 'custom_hooks=[]', *ablation],
                         cwd=run_main.ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert not (root / 'probe').exists()
    (config, ) = (root / 'pretrain/bam').glob('*/vis_data/config.py')
    from mmengine.config import Config
    head = Config.fromfile(str(config)).model.head
    assert head.stop_grad is False and head.loss_clu.loss_weight == 0.0
    (scalars, ) = (root / 'pretrain/bam').glob('*/vis_data/scalars.json')
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    losses = [r for r in records if 'loss_clu' in r]
    assert losses and all(r['loss_clu'] == 0.0 for r in losses)
    assert all(r['loss'] == pytest.approx(r['loss_con'], abs=1e-6) for r in losses)
    assert any(r['loss_con'] != 0.0 for r in losses)
    out = subprocess.run(common + ['--stages', 'probe', '--cfg-options', 'train_cfg.max_epochs=1'],
                         cwd=run_main.ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    checkpoint = (root / 'pretrain/bam/last_checkpoint').read_text().strip()
    (probe_config, ) = (root / 'probe/bam').glob('*/vis_data/config.py')
    probe = Config.fromfile(str(probe_config))
    assert probe.model.backbone.init_cfg.checkpoint == checkpoint
    assert 'stop_grad' not in probe.model.head and (root / 'probe/random/.done').exists()
    assert 'multi-label/mAP' in (root / 'probe/bam.log').read_text()
