"""Cost of ``KNNMonitorHook`` against the training epochs it monitors, in one process.

    python tools/benchmarks/knn_monitor_cost.py [CONFIG] [--epochs 2] [--monitor SNIPPET]
        [--monitor-options k=v ...] [--total-epochs 10] [--work-dir DIR] [--cfg-options k=v ...]

Trains CONFIG (default: the MoCo v2 scenes twin) for ``--epochs`` epochs with the monitor of
``--monitor`` (default: configs/_base_/knn_monitor_scenes.py, variable ``knn_monitor``) forced
to run after every epoch, so each epoch's training time and the monitor call that follows it
are timed under the same machine load. Prints, per epoch, the training seconds (first to last
iteration of the epoch, data loading included) and the monitor's seconds, then the monitor's
median cost per call, per training epoch, and its share of a ``--total-epochs`` run at the
snippet's interval (calls after every interval-th epoch and after the last one, plus one
before training when ``before_training=True``).
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time

from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mls_mm  # noqa: F401
from mls_mm.engine.hooks import KNNMonitorHook
from mls_mm.utils import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(ROOT, 'configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py')
DEFAULT_MONITOR = osp.join(ROOT, 'configs/_base_/knn_monitor_scenes.py')


class EpochTimer(Hook):
    """Training seconds of each epoch, stopped before any LOW-priority hook runs."""

    priority = 'HIGHEST'

    def __init__(self):
        self.seconds = []

    def before_train_epoch(self, runner):
        self.start = time.perf_counter()

    def after_train_epoch(self, runner):
        self.seconds.append(time.perf_counter() - self.start)


class TimedMonitor(KNNMonitorHook):
    """The monitor, run after every epoch, recording each call's seconds."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seconds = []

    def after_train_epoch(self, runner):
        start = time.perf_counter()
        self._run(runner, epoch=runner.epoch + 1)
        self.seconds.append(time.perf_counter() - start)


def monitor_calls(interval: int, total_epochs: int, before_training: bool) -> int:
    """How many times the monitor runs in a ``total_epochs`` run."""
    after = {e for e in range(1, total_epochs + 1) if e % interval == 0} | {total_epochs}
    return len(after) + int(before_training)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    p.add_argument('--monitor', default=DEFAULT_MONITOR,
                   help='config file defining knn_monitor = dict(type="KNNMonitorHook", ...)')
    p.add_argument('--monitor-options', nargs='+', action=DictAction, default={},
                   help='override the snippet, e.g. max_bank=None interval=5')
    p.add_argument('--epochs', type=int, default=2, help='epochs trained and timed')
    p.add_argument('--total-epochs', type=int, default=10, help='length of the run costed')
    p.add_argument('--work-dir', default=None)
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = p.parse_args()

    monitor = dict(Config.fromfile(args.monitor).knn_monitor)
    monitor.pop('type')
    monitor.update(args.monitor_options)
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='knn_monitor_cost_')
    cfg = load_config(args.config, work_dir=work_dir, cfg_options=args.cfg_options)
    cfg.train_cfg.max_epochs = args.epochs
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10 ** 6)
    timer, hook = EpochTimer(), TimedMonitor(**monitor)
    runner = Runner.from_cfg(cfg)
    runner.register_hook(timer)
    runner.register_hook(hook)
    runner.train()

    print(f'\nconfig: {osp.relpath(args.config, ROOT)}; monitor: {len(hook.query_set)} queries '
          f'vs {len(hook.bank_set)} bank images, k={hook.k}, interval={hook.interval}')
    for epoch, (train_s, knn_s) in enumerate(zip(timer.seconds, hook.seconds), 1):
        print(f'epoch {epoch}: training {train_s:7.1f} s   monitor {knn_s:6.1f} s   '
              f'ratio {knn_s / train_s:6.1%}')
    per_call = statistics.median(hook.seconds)
    ratio = statistics.median(k / t for k, t in zip(hook.seconds, timer.seconds))
    calls = monitor_calls(hook.interval, args.total_epochs, hook.before_training)
    print(f'monitor per call: {per_call:.1f} s (median); per training epoch: {ratio:.1%} of '
          f'the epoch (median of the per-epoch ratios)')
    print(f'{args.total_epochs}-epoch run at interval {hook.interval}: {calls} calls -> '
          f'+{calls * ratio / args.total_epochs:.1%} of the training time')


if __name__ == '__main__':
    main()
