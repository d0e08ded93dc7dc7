"""Which steps of the main job wait for which, and running them N at a time."""
import os
import os.path as osp
import sys
import threading
import time

import pytest

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                            'tools'))
import run_main  # noqa: E402
from step_schedule import dependencies, run_concurrently  # noqa: E402


def _named(steps):
    names = [f'{stage}: {name}' for stage, name, *_ in steps]
    return names, {names[i]: {names[j] for j in needs}
                   for i, needs in enumerate(dependencies(steps))}


def test_the_main_jobs_steps_wait_for_what_they_read():
    names, needs = _named(run_main.plan(run_main.parse_args(['--root', 'wd'])))
    assert needs['data: scenes'] == set()
    for method in ('mocov2', 'simsiam', 'mls', 'bam'):
        assert needs[f'pretrain: {method}'] == {'data: scenes'}
        assert needs[f'probe: {method}'] == {'data: scenes', f'pretrain: {method}'}
        assert needs[f'transfer: {method} backbone'] == {'data: scenes', f'pretrain: {method}'}
        assert needs[f'transfer: {method}'] == {'data: scenes', f'transfer: {method} backbone'}
    assert needs['probe: random'] == needs['transfer: random'] == {'data: scenes'}
    # the table and the pictures come after everything before them
    assert needs['tables: comparison'] == set(names[:names.index('tables: comparison')])
    assert needs['pictures: mls neighbours'] == set(names) - {'pictures: mls neighbours'}
    # BAM's pretraining, the longest, starts before any other ready step
    steps = run_main.plan(run_main.parse_args(['--root', 'wd', '--seeds', '0', '1']))
    assert {steps[i][2] for i in run_main.longest_first(steps)} == \
        {'wd/seed_0/pretrain/bam', 'wd/seed_1/pretrain/bam'}


def test_seeds_do_not_wait_for_each_other():
    # both seeds' steps are called 'mls': dependencies come from work_dirs, not names
    steps = run_main.plan(run_main.parse_args(['--root', 'wd', '--seeds', '0', '1',
                                               '--methods', 'mls', '--stages', 'pretrain',
                                               'probe']))
    work_dirs = [s[2] for s in steps]
    needs = dependencies(steps)
    for seed in (0, 1):
        probe = work_dirs.index(f'wd/seed_{seed}/probe/mls')
        assert {work_dirs[j] for j in needs[probe]} == {f'wd/seed_{seed}/pretrain/mls'}
        assert needs[work_dirs.index(f'wd/seed_{seed}/pretrain/mls')] == set()


def _recorder(durations, fail=None):
    log, lock, live = [], threading.Lock(), [0]

    def run(index):
        with lock:
            live[0] += 1
            log.append(('start', index, live[0]))
        time.sleep(durations[index])
        with lock:
            live[0] -= 1
            log.append(('end', index))
        if index == fail:
            raise RuntimeError(f'step {index} broke')
    return run, log


def test_steps_run_at_most_jobs_at_a_time_after_what_they_need():
    needs = [set(), {0}, {0}, {0}, {1}, {1, 2, 3}]
    run, log = _recorder([0.05, 1.0, 0.05, 0.05, 0.05, 0.0])
    run_concurrently(needs, 2, run, stop_all=lambda: None)
    starts = [e for e in log if e[0] == 'start']
    assert sorted(i for _, i, _ in starts) == list(range(6))
    assert max(live for *_, live in starts) == 2
    for index, wanted in enumerate(needs):
        started = log.index(next(e for e in starts if e[1] == index))
        for before in wanted:
            assert log.index(('end', before)) < started, (before, index)
    # 2 and 3 ran while 1 was running (two lanes), and 4 started before 5 could
    assert log.index(('end', 3)) < log.index(('end', 1))
    run, log = _recorder([0.01] * 6)
    run_concurrently(needs, 1, run, stop_all=lambda: None)
    assert [i for kind, i, *_ in log if kind == 'start'] == list(range(6))  # plan order
    run, log = _recorder([0.01] * 6)
    run_concurrently(needs, 1, run, stop_all=lambda: None, first={3})  # 3 once it is ready
    assert [i for kind, i, *_ in log if kind == 'start'] == [0, 3, 1, 2, 4, 5]


def test_a_failing_step_stops_the_others_and_nothing_new_starts():
    stopped = []
    run, log = _recorder([0.05, 0.3, 0.05, 0.0], fail=0)
    with pytest.raises(RuntimeError, match='step 0 broke'):
        run_concurrently([set(), set(), {0}, set()], 2, run, stop_all=lambda: stopped.append(1))
    assert stopped == [1]
    assert ('end', 1) in log  # the running step was waited for
    assert {i for kind, i, *_ in log if kind == 'start'} == {0, 1}
    with pytest.raises(RuntimeError, match='wait for each other'):
        run_concurrently([{1}, {0}], 2, lambda i: None, stop_all=lambda: None)
    with pytest.raises(ValueError, match='--jobs must be at least 1'):
        run_concurrently([set()], 0, lambda i: None, stop_all=lambda: None)


@pytest.mark.parametrize('launch', ['fork', 'subprocess'])
def test_a_failing_step_stops_the_process_of_the_step_beside_it(tmp_path, monkeypatch, launch):
    """Two real steps side by side: one fails after half a second, the other would sleep a
    minute; the job raises the failure within seconds, its neighbour's process stopped."""
    monkeypatch.setattr(run_main, 'ROOT', str(tmp_path))
    (tmp_path / 'slow.py').write_text('import time\nprint("Epoch(train) started", flush=True)\n'
                                      'open("started", "w").close()\ntime.sleep(60)\n'
                                      'open("slept", "w").close()\n')
    # fails once its neighbour has started (or after 30 s)
    (tmp_path / 'bad.py').write_text('import os, sys, time\nfor _ in range(300):\n'
                                     '    if os.path.exists("started"):\n        break\n'
                                     '    time.sleep(0.1)\nsys.exit("broken")\n')
    names = ['slow', 'bad']

    def run(index):
        run_main.run_step('pretrain', names[index], None,
                          [sys.executable, str(tmp_path / f'{names[index]}.py')], {},
                          str(tmp_path / f'{names[index]}.log'), launch, threads=1)

    start = time.time()
    run_main.allow_starts()
    with pytest.raises(RuntimeError, match=r'pretrain bad failed[\s\S]*broken'):
        run_concurrently([set(), set()], 2, run, run_main.stop_running)
    run_main.allow_starts()
    assert time.time() - start < 45
    assert 'started' in (tmp_path / 'slow.log').read_text()
    assert not (tmp_path / 'slept').exists() and not run_main._RUNNING


def test_a_step_not_started_when_its_neighbour_fails_never_starts(tmp_path, monkeypatch):
    """A step still reading its inputs when the step beside it fails starts no process."""
    monkeypatch.setattr(run_main, 'ROOT', str(tmp_path))
    (tmp_path / 'slow.py').write_text('open("ran", "w").close()\nimport time\ntime.sleep(60)\n')
    failed = threading.Event()

    def run_slow():
        run_main.run_step('pretrain', 'slow', None, [sys.executable, str(tmp_path / 'slow.py')],
                          {}, str(tmp_path / 'slow.log'), 'subprocess', threads=1)

    def run(index):
        if index == 0:
            failed.set()
            raise RuntimeError('step 0 broke')
        failed.wait(10)
        time.sleep(0.2)  # still before its process when the scheduler stops the job
        run_slow()

    start = time.time()
    run_main.allow_starts()
    with pytest.raises(RuntimeError, match='step 0 broke'):
        run_concurrently([set(), set()], 2, run, run_main.stop_running)
    with pytest.raises(RuntimeError, match='not started: the job is stopping'):
        run_slow()
    run_main.allow_starts()
    assert time.time() - start < 20 and not (tmp_path / 'ran').exists()


def test_the_default_jobs_are_the_usable_cores(tmp_path):
    cores = run_main.usable_cores(str(tmp_path / 'none'))  # no cgroup file: the affinity
    assert cores == len(os.sched_getaffinity(0))
    for quota, expected in (('max 100000', cores), ('50000 100000', 1),
                            ('150000 100000', min(cores, 2))):
        (tmp_path / 'cpu.max').write_text(quota + '\n')
        assert run_main.usable_cores(str(tmp_path / 'cpu.max')) == expected
    assert run_main.default_jobs('subprocess') == 1
