"""The main job on the built-in scenes: pretrain, probe, transfer, tabulate, draw.

    python tools/run_main.py [--root work_dirs/main] [--data data/scenes]
                             [--methods mocov2 simsiam mls bam] [--stages ...]
                             [--num-train 2048] [--num-val 256]
                             [--seeds 0] [--pretrain-epochs N]
                             [--transfer-epochs 1] [--transfer-images 512]
                             [--cfg-options KEY=VALUE ...] [--update-method-folders]
                             [--launch auto|fork|subprocess] [--jobs N] [--threads 1]
                             [--precision float32|bfloat16] [--dry-run]

With one seed (``make demo``: seed 0) the runs go into ``ROOT/``; with several
(``--seeds 0 1 2``, the benchmark's 3-seed command) each seed's runs go into
``ROOT/seed_<n>/`` and the table, in ``ROOT/results.md``, shows mean ± std over the seeds.
The seed is ``randomness.seed`` of every training run (pretraining, probe, transfer); the
data are the same for every seed.

Stages, each a documented command of its own (``--dry-run`` prints them):

1. ``data``: ``tools/generate_scenes.py`` (skipped when up to date);
2. ``pretrain``: ``tools/train.py`` with each method's ``*_scenes`` config into
   ``ROOT/pretrain/<method>``;
3. ``probe``: the multi-label linear probe (frozen backbone) from each pretraining run and from
   random weights into ``ROOT/probe/<method>``;
4. ``transfer``: the Mask R-CNN FPN scenes twin (``--transfer-epochs`` 1 on the first
   ``--transfer-images`` 512 train images: a low-data transfer): each pretraining's backbone
   converted and checked key by key (``tools/model_converters/extract_backbone.py`` into
   ``ROOT/backbones/<method>``), then ``tools/train.py`` from it (``CheckedPretrained``) into
   ``ROOT/transfer/<method>``, and from random weights. These are the two steps of
   ``tools/benchmarks/mmdetection/dist_train.sh``, each a step of its own, without torchrun;
5. ``tables``: ``tools/analysis_tools/collect_results.py`` -> ``ROOT/results.md`` (and, with
   ``--update-method-folders``, the method folders' README tables and metafiles), with each
   pretraining's images seen and wall time (``run_main.json`` in its work_dir);
6. ``pictures``: ``tools/analysis_tools/plot_curves.py`` (loss and monitor curves of every run)
   and ``tools/analysis_tools/mls_neighbours.py`` (MLS queries and their pseudo-positives)
   into ``ROOT/pictures/``.

``--precision``: the pretrainings' arithmetic. ``float32`` (default), or ``bfloat16``: the
backbones in bfloat16 autocast with channels-last weights, necks, heads and losses in float32
(``tools/train.py --bf16``): a quarter to a third less pretraining time on an Intel Xeon with
AVX-512 and AMX (oneDNN has bfloat16 kernels from AVX-512 on; without them it is emulated),
but BAM's three seeds all probed below float32's (1.5 mAP lower on average, a fourfold
spread; docs/scenes_benchmark.md), so the job's table is float32's. Probes and transfers
train in float32 in any case. Each pretraining's command (in ``run_main.json``) records it;
``--update-method-folders`` refuses bfloat16 (the method folders hold float32's rows).

Steps run ``--jobs`` at a time as their order allows (``tools/step_schedule.py``), each with
``--threads`` torch threads (default 1), so that the digits do not depend on ``--jobs``.

A run whose work_dir holds ``.done`` (written when its command succeeds, with
``run_main.json``: its command, a digest of its inputs, its torch threads and its wall time,
summed over the invocations of a resumed run) is skipped; an interrupted one is resumed
(``--resume``). Either only for the same command, threads and inputs (the configs with the
files they inherit, the checkpoint it starts from): otherwise the job stops, naming the run,
so that no table mixes settings (the records: ``tools/run_records.py``).
Each command's output goes to ``<work_dir>.log`` beside the work_dir; its progress lines are
echoed.
"""
import argparse
import os
import os.path as osp
import signal
import subprocess
import sys
import threading
import time

from forked_steps import (choose_launch, fork_script, forkable, gpu_visible, preload,
                          wait_forked)
from run_records import (DONE, PARTIAL, check_same_command, input_digest, mark_done,
                         read_partial, write_record)
from step_schedule import dependencies, run_concurrently

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN = dict(
    mocov2='configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py',
    simsiam='configs/simsiam/simsiam_resnet18_1xb32-coslr-10e_scenes.py',
    mls='configs/mls/mls_resnet18_1xb32-coslr-10e_scenes.py',
    bam='configs/bam/bam_resnet18_1xb32-coslr-10e_scenes.py')
PROBE = 'configs/benchmarks/classification/scenes/resnet18_linear-probe-1xb64-coslr-5e_scenes-64px.py'
TRANSFER = 'configs/benchmarks/mmdetection/scenes/mask-rcnn_r18_fpn_1xb4-3e_scenes.py'
STAGES = ('data', 'pretrain', 'probe', 'transfer', 'tables', 'pictures')
# started before any other ready step when steps run side by side: BAM's pretraining (8 views
# per image) takes 3-4 times another's, and begun last it would be the job's tail
LONGEST_FIRST = ('bam', )
LAST = '@last_checkpoint:'  # resolved when the step runs: the checkpoint the run dir names
PROGRESS = ('Epoch(train)', 'Epoch(val)', 'coco/bbox_mAP', 'multi-label/mAP', 'Error', 'error:')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--root', default='work_dirs/main', help='where all runs go')
    parser.add_argument('--data', default='data/scenes', help='the built-in scenes')
    parser.add_argument('--methods', nargs='+', default=list(PRETRAIN), choices=list(PRETRAIN))
    parser.add_argument('--stages', nargs='+', default=list(STAGES), choices=STAGES)
    parser.add_argument('--num-train', type=int, default=2048,
                        help='train images of the built-in scenes (tools/generate_scenes.py)')
    parser.add_argument('--num-val', type=int, default=256, help='val images of the scenes')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0],
                        help='training seeds; several: ROOT/seed_<n>/ each, mean ± std table')
    parser.add_argument('--pretrain-epochs', type=int, default=None, metavar='N',
                        help='pretrain every method for N epochs, its cosine schedule over '
                             'all N (default: the configs\' 10); probes and transfers keep '
                             'theirs, and so does every other setting (MLS\'s 3 warm-up '
                             'epochs, queues, checkpoint and monitor intervals)')
    parser.add_argument('--transfer-epochs', type=int, default=1,
                        help='epochs of the detection twin in this job (its config: 3)')
    parser.add_argument('--transfer-images', type=int, default=512,
                        help='the detection twin fine-tunes on the first N train images '
                             '(mmengine dataset `indices`; 0: all of them)')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='appended to every training run (pretraining, probe, transfer), '
                             'e.g. train_cfg.max_epochs=1 for a smoke run')
    parser.add_argument('--update-method-folders', action='store_true',
                        help="also write the numbers into configs/<method>/README.md and "
                        "metafile.yml (tracked files)")
    parser.add_argument('--launch', choices=('auto', 'fork', 'subprocess'), default='auto',
                        help='how a `python SCRIPT.py ...` step runs: fork runs it in a fork of '
                        'this process, which imported torch and the OpenMMLab packages once '
                        '(4-8 s of start-up saved per step, the same numbers); subprocess '
                        'starts a new interpreter; auto (default): fork on Linux when torch '
                        'sees no GPU (CUDA does not survive a fork), else subprocess')
    parser.add_argument('--jobs', type=int, default=None, metavar='N',
                        help='steps run at the same time, as their order allows (a probe '
                        'after its pretraining, ...; default: the CPU cores this process may '
                        'use when steps fork, else 1). The numbers do not depend on it')
    parser.add_argument('--threads', type=int, default=1, metavar='T',
                        help='torch threads of each step (default 1: on 2 cores, two steps '
                        'of 1 thread side by side do 1.45 times the work of one step of 2). '
                        'The numbers depend on it: torch sums in another order')
    parser.add_argument('--precision', choices=('float32', 'bfloat16'), default='float32',
                        help='the pretrainings\' arithmetic (default float32; bfloat16: '
                        'backbones in bfloat16 autocast, tools/train.py --bf16); probes and '
                        'transfers: float32. The numbers depend on it')
    parser.add_argument('--dry-run', action='store_true', help='print the commands only')
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f'--threads must be at least 1, got {args.threads}')
    if args.precision == 'bfloat16' and args.update_method_folders:
        parser.error('--update-method-folders writes the method READMEs\' float32 scenes rows: '
                     'not with --precision bfloat16')
    if args.jobs is not None and args.jobs < 1:
        parser.error(f'--jobs must be at least 1, got {args.jobs}')
    return args


def _data_options(data):
    return [f'train_dataloader.dataset.data_root={data}/']


def pretrain_epoch_options(epochs, cfg_options=()):
    """The ``--cfg-options`` of a pretraining of ``epochs`` epochs: the loop's length and the
    scenes twins' one schedule, a ``CosineAnnealingLR`` by epoch, stretched to end with it (a
    longer loop alone would keep the lr at its last value after the configured epochs). None:
    the configs' own."""
    if epochs is None:
        return []
    if epochs < 1:
        raise ValueError(f'--pretrain-epochs must be at least 1, got {epochs}')
    clash = [o for o in cfg_options
             if o.startswith(('train_cfg.max_epochs=', 'param_scheduler'))]
    if clash:
        raise ValueError(f'--pretrain-epochs {epochs} and --cfg-options {" ".join(clash)} both '
                         'set the pretraining schedule: give one of them')
    return [f'train_cfg.max_epochs={epochs}', f'param_scheduler.0.T_max={epochs}',
            f'param_scheduler.0.end={epochs}']


def plan(args):
    """The job as a list of (stage, name, work_dir or None, command, env)."""
    py, data = sys.executable, args.data.rstrip('/')
    steps = [('data', 'scenes', None, [py, 'tools/generate_scenes.py', '--out', data,
                                       '--num-train', str(args.num_train),
                                       '--num-val', str(args.num_val)], {})]
    if len(set(args.seeds)) != len(args.seeds):
        raise ValueError(f'--seeds lists a seed twice: {args.seeds}')
    length = pretrain_epoch_options(args.pretrain_epochs, args.cfg_options)
    # seed 0 alone (make demo) in ROOT itself; any other seed, or several, in ROOT/seed_<n>
    roots = [args.root] if args.seeds == [0] else \
        [f'{args.root}/seed_{seed}' for seed in args.seeds]
    for seed, root in zip(args.seeds, roots):
        steps += _seed_steps(args, py, data, root, seed, length)
    tables = [py, 'tools/analysis_tools/collect_results.py', '--out', f'{args.root}/results.md']
    tables += ['--root', roots[0]] if len(roots) == 1 else ['--seed-roots', *roots]
    if args.update_method_folders:
        tables.append('--update-method-folders')
    steps.append(('tables', 'comparison', None, tables, {}))
    steps.append(('pictures', 'curves', None,
                  [py, 'tools/analysis_tools/plot_curves.py', roots[0], '--out-dir',
                   f'{args.root}/pictures'], {}))
    if 'mls' in args.methods:
        steps.append(('pictures', 'mls neighbours', None,
                      [py, 'tools/analysis_tools/mls_neighbours.py', f'{roots[0]}/pretrain/mls',
                       '--out', f'{args.root}/pictures/mls_neighbours.png'], {}))
    return [s for s in steps if s[0] in args.stages]


def _seed_steps(args, py, data, root, seed, length):
    """Pretraining, probe and transfer runs of one seed, into ``root``; ``length``: the
    pretrainings' own options (``pretrain_epoch_options``)."""
    steps = []
    common = [*_data_options(data), f'randomness.seed={seed}', *args.cfg_options]
    bf16 = ['--bf16'] if args.precision == 'bfloat16' else []
    for method in args.methods:
        steps.append(('pretrain', method, f'{root}/pretrain/{method}',
                      [py, 'tools/train.py', PRETRAIN[method], '--work-dir',
                       f'{root}/pretrain/{method}', '--resume', *bf16, '--cfg-options',
                       *common, *length], {}))
    val_data = [f'val_dataloader.dataset.data_root={data}/']
    for method in args.methods + ['random']:
        checkpoint = ('model.backbone.init_cfg=None' if method == 'random' else
                      f'model.backbone.init_cfg.checkpoint={LAST}{root}/pretrain/{method}')
        steps.append(('probe', method, f'{root}/probe/{method}',
                      [py, 'tools/train.py', PROBE, '--work-dir', f'{root}/probe/{method}',
                       '--resume', '--cfg-options', checkpoint, *common, *val_data], {}))
    short = [f'train_cfg.max_epochs={args.transfer_epochs}',
             f'train_cfg.val_interval={args.transfer_epochs}',
             f'val_evaluator.ann_file={data}/annotations/instances_val2017.json',
             *common, *val_data]
    if args.transfer_images:
        short.append(f'train_dataloader.dataset.indices={args.transfer_images}')
    for method in args.methods + ['random']:
        work_dir = f'{root}/transfer/{method}'
        if method == 'random':
            init = ['model.backbone.init_cfg=None']
        else:
            # the online backbone in mmdet's keys, checked against the config's backbone
            backbone_dir = f'{root}/backbones/{method}'
            backbone = f'{backbone_dir}/mmdet_backbone.pth'
            steps.append(('transfer', f'{method} backbone', backbone_dir,
                          [py, 'tools/model_converters/extract_backbone.py',
                           f'{LAST}{root}/pretrain/{method}', backbone, '--target', 'mmdet',
                           '--config', TRANSFER], {}))
            # as init_targets.init_cfg_options gives them: the file's keys have no prefix
            init = [f'model.backbone.init_cfg.checkpoint={backbone}',
                    'model.backbone.init_cfg.prefix=']
        steps.append(('transfer', method, work_dir,
                      [py, 'tools/train.py', TRANSFER, '--work-dir', work_dir, '--resume',
                       '--cfg-options', *init, *short], {}))
    return steps


def resolve(argument: str, dry_run: bool = False) -> str:
    """Replace ``@last_checkpoint:DIR`` with the path in ``DIR/last_checkpoint``."""
    if LAST not in argument:
        return argument
    head, run_dir = argument.split(LAST)
    if dry_run:
        return f'{head}$(cat {run_dir}/last_checkpoint)'
    pointer = osp.join(ROOT, run_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        raise FileNotFoundError(f'{pointer} not found: run the pretrain stage first')
    with open(pointer) as f:
        return head + f.read().strip()


# one step at a time starts a process: a fork while another step's pipe is half set up would
# hand that pipe's write end to the new process, and its reader would wait for it too
_STARTING = threading.Lock()
_RUNNING = {}  # thread id -> how to stop the process that thread's step runs
_STOPPING = threading.Event()  # set by stop_running: no step starts a process any more


def _start(command, env, launch, threads):
    """Start the step's process, registered in ``_RUNNING``: (its output stream, wait(),
    stop()). Refused once :func:`stop_running` has been called."""
    with _STARTING:
        if _STOPPING.is_set():
            raise RuntimeError('not started: the job is stopping (another step failed)')
        if launch == 'fork' and forkable(command, env):
            output, child = fork_script(command, cwd=ROOT, threads=threads)
            wait, stop = (lambda: wait_forked(child)), child.terminate
        else:
            if threads is not None:
                env = dict(env, OMP_NUM_THREADS=str(threads))
            # a session of its own, so that stopping it reaches the processes it starts
            proc = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ, **env),
                                    text=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            output, wait = proc.stdout, proc.wait
            stop = lambda: os.killpg(proc.pid, signal.SIGTERM)  # noqa: E731
        _RUNNING[threading.get_ident()] = stop
        return output, wait, stop


def allow_starts():
    """Let steps start processes again (a new job in this process)."""
    _STOPPING.clear()


def stop_running():
    """Stop the processes of the steps that run now, and let no step start one any more
    (another step failed, or Ctrl-C)."""
    with _STARTING:
        _STOPPING.set()
        stops = list(_RUNNING.values())
    for stop in stops:
        try:
            stop()
        except ProcessLookupError:
            pass


def say(text):
    """One line to stdout, whole (steps side by side print from several threads)."""
    sys.stdout.write(text + '\n')
    sys.stdout.flush()


def run_step(stage, name, work_dir, command, env, log_file, launch='subprocess', threads=None,
             tag=''):
    """Run one command, echoing its progress lines (after ``tag``); raise with the log's tail
    on failure. ``threads``: torch's intra-op threads in the step (None: torch's default).

    A run's wall time adds up over invocations: at every progress line the time so far goes to
    ``run_main.partial.json`` in its work_dir, so that a resumed run's ``run_main.json``
    counts the interrupted invocations too (up to their last progress line)."""
    command = [resolve(argument) for argument in command]
    start = time.time()
    inputs = input_digest(ROOT, command, work_dir)  # configs and checkpoints as the run starts
    before, invocations = read_partial(ROOT, work_dir, command, inputs, threads)
    if work_dir is not None:
        os.makedirs(osp.join(ROOT, work_dir), exist_ok=True)
    os.makedirs(osp.dirname(log_file) or '.', exist_ok=True)
    with open(log_file, 'a') as log:
        output, wait, stop = _start(command, env, launch, threads)
        tail = []
        try:
            with output:
                for line in output:
                    log.write(line)
                    tail = (tail + [line])[-40:]
                    if any(mark in line for mark in PROGRESS):
                        say(f'    {tag}{line.rstrip()[:160]}')
                        if work_dir is not None:
                            write_record(ROOT, work_dir, PARTIAL, command=command,
                                         inputs=inputs, threads=threads,
                                         invocations=invocations + 1,
                                         wall_s=round(before + time.time() - start, 1))
            returncode = wait()
        except BaseException:  # e.g. Ctrl-C: the step is stopped, not left running
            try:
                stop()
            except ProcessLookupError:
                pass
            wait()
            raise
        finally:
            _RUNNING.pop(threading.get_ident(), None)
        if returncode != 0:
            raise RuntimeError(f'{stage} {name} failed (exit {returncode}); command: '
                               f'{" ".join(command)}\nlast lines of {log_file}:\n'
                               + ''.join(tail))
    if work_dir is not None:
        mark_done(ROOT, work_dir, wall_s=round(before + time.time() - start, 1),
                  invocations=invocations + 1, command=command, inputs=inputs,
                  threads=threads)


def longest_first(steps) -> set:
    """The indices of the pretrainings of ``LONGEST_FIRST`` (of every seed)."""
    return {index for index, (stage, name, *_) in enumerate(steps)
            if stage == 'pretrain' and name in LONGEST_FIRST}


def usable_cores(cpu_max='/sys/fs/cgroup/cpu.max') -> int:
    """The CPUs this process may use: its affinity, capped by a cgroup v2 CPU quota (a
    container may see more cores than it may use)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else \
        (os.cpu_count() or 1)
    try:
        with open(cpu_max) as f:
            quota, period = f.read().split()[:2]
    except (OSError, ValueError):
        return cores
    if quota == 'max':
        return cores
    return max(1, min(cores, -(-int(quota) // int(period))))


def default_jobs(launch: str) -> int:
    """The usable cores when steps fork, else 1 (a new interpreter per step: a GPU, or no
    ``fork``)."""
    return usable_cores() if launch == 'fork' else 1


def main(argv=None):
    args = parse_args(argv)
    steps = plan(args)
    start = time.time()
    launch = 'subprocess' if args.dry_run else choose_launch(args.launch)
    if args.precision == 'bfloat16' and any(stage == 'pretrain' for stage, *_ in steps):
        from mls_mm.engine import cpu_has_native_bfloat16
        say('pretraining with bfloat16 backbones (tools/train.py --bf16); probes and '
            'transfers in float32' + ('' if gpu_visible() or cpu_has_native_bfloat16() else
                                      ': oneDNN has no bfloat16 kernels for this CPU (no '
                                      'AVX-512), so it is emulated, and slower than float32'))
    headers = [f'[{index}/{len(steps)}] {stage}: {name}'
               for index, (stage, name, *_) in enumerate(steps, 1)]
    if args.dry_run:
        for header, (_, _, _, command, env) in zip(headers, steps):
            prefix = ' '.join(f'{k}={v}' for k, v in
                              dict(env, OMP_NUM_THREADS=args.threads).items())
            shown = ' '.join(resolve(a, dry_run=True) for a in command)
            print(f'{header}\n    {prefix} {shown}')
        return
    jobs = args.jobs or default_jobs(launch)
    if launch == 'fork' and any(forkable(command, env) for *_, command, env in steps):
        preload()  # before any step starts, in this thread

    def run(index):
        stage, name, work_dir, command, env = steps[index]
        header = headers[index]
        if work_dir is not None and osp.exists(osp.join(ROOT, work_dir, DONE)):
            check_same_command(ROOT, work_dir, [resolve(argument) for argument in command],
                               args.threads)
            say(f'{header}: done before, skipped')
            return
        say(f'{header} ...')
        step_start = time.time()
        log_file = osp.join(ROOT, work_dir + '.log' if work_dir else
                            f'{args.root}/{stage}.log')
        run_step(stage, name, work_dir, command, env, log_file, launch, args.threads,
                 tag=f'{header}: ' if jobs > 1 else '')
        say(f'{header}: finished in {time.time() - step_start:.0f} s '
            f'(total {(time.time() - start) / 60:.1f} min)')

    if jobs > 1:
        say(f'{jobs} steps at a time, {args.threads} torch thread(s) each')
    allow_starts()
    try:
        run_concurrently(dependencies(steps), jobs, run, stop_running, longest_first(steps))
    finally:
        allow_starts()  # the job is over: a stopped job's steps have ended too
    if 'tables' in args.stages:
        with open(osp.join(ROOT, args.root, 'results.md')) as f:
            print(f.read())
        print(f'pictures: {args.root}/pictures/   total {(time.time() - start) / 60:.1f} min')


if __name__ == '__main__':
    main()
