"""Every real (non-scenes) config at its real sizes, for a few iterations each.

    python tools/benchmarks/full_size_configs.py [--only PATTERN[,PATTERN...]] [--data-root DIR]
        [--keep] [--timeout SECONDS] [--iters 2] [--batch-size PATTERN=N ...] [--full-batch]
        [--max-rss-mib MIB] [--list]

Builds (in a temporary folder, or ``--data-root``) a tiny dataset in the standard COCO
(640 x 480), VOC07/12 (500 x 375) and Cityscapes (2048 x 1024) layouts from the built-in scene
generator (:mod:`standard_layouts`), the seven fine-grained fine-tuning sets (CUB, Flowers102,
Stanford Cars, FGVC-Aircraft, Indoor-67, Oxford Pets, DTD) in their official layouts with
photo-like 500 x 375 JPEGs, 32 train + 8 test each (:mod:`cls_layouts`), and a tiny
pretraining checkpoint (the MoCo v2 COCO config's model, randomly initialised, saved as
``{'state_dict', 'meta'}``). Then each config runs ``--iters`` training iterations in a fresh
subprocess, as a user would run it:

- pretraining (MoCo v2, SimSiam, MLS, BAM on COCO / VOC12): ``tools/train.py``;
- the linear probes (COCO 448 px, VOC 224 px) and the fine-tunings (VOC07 and the seven
  fine-grained sets, 224 px crops of 256 px), from the tiny checkpoint: ``tools/train.py``;
- the mmdet configs (COCO, VOC0712, Cityscapes): ``tools/benchmarks/mmdetection/dist_train.sh
  CONFIG CHECKPOINT 1`` (conversion + check of the checkpoint, then torchrun, 1 process);
- the mmseg Cityscapes configs: ``tools/benchmarks/mmsegmentation/dist_train.sh`` likewise.

Each run gets an override config that ``_base_``-inherits the real one and changes only: the
data roots (``data/...`` -> the tiny dataset), ``num_workers=0``, the train loop
(``IterBasedTrainLoop`` with ``max_iters=--iters``, whatever loop the config has), no
validation / test / checkpoint saving, a logger every iteration with ``window_size=1`` (so
``scalars.json`` holds each iteration's own ``time``), and, only where listed in
``REDUCED_BATCH`` or ``--batch-size``, the per-GPU batch size (said in the printed line).
Models, image sizes, crops and pipelines are the configs' own.

Prints one line per config, ``config | iters | s/iter | peak RSS MiB | status | notes``, where
s/iter is the mean ``time`` of the iterations after the first (data loading included), peak
RSS the largest resident set of any process of the run (``wait4``), and notes the first
iteration's time, the data time, the wall time, the machine's 1-minute load average at the
end of the run (other processes slow a shared machine down) and, on a GPU, mmengine's
``memory`` (max allocated MiB). Then a summary; exit status 1 if any config failed, with each
failure's last error line. A run is killed when it exceeds ``--timeout`` or its processes
together exceed ``--max-rss-mib``.
"""
import argparse
import fnmatch
import glob
import json
import os
import os.path as osp
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

# (glob, how it is launched); the order is the run order
CONFIG_GLOBS = [
    ('configs/mocov2/*_coco.py', 'train'),
    ('configs/simsiam/*_coco.py', 'train'),
    ('configs/mls/*_coco.py', 'train'),
    ('configs/bam/*_coco.py', 'train'),
    ('configs/bam/*_voc12.py', 'train'),
    ('configs/benchmarks/classification/coco/*.py', 'probe'),
    ('configs/benchmarks/classification/voc07/*.py', 'probe'),
    # the fine-grained fine-tuning sets (MLS Table 5), layouts from cls_layouts.py
    *[(f'configs/benchmarks/classification/{name}/*.py', 'probe') for name in (
        'cub', 'flowers102', 'stanford_cars', 'fgvc_aircraft', 'indoor67', 'oxford_pets',
        'dtd')],
    ('configs/benchmarks/mmdetection/coco/*.py', 'mmdet'),
    ('configs/benchmarks/mmdetection/voc0712/*.py', 'mmdet'),
    ('configs/benchmarks/mmdetection/cityscapes/*.py', 'mmdet'),
    ('configs/benchmarks/mmsegmentation/cityscapes/*.py', 'mmseg'),
]
# Per-GPU batch sizes reduced by default, because the config's own does not fit the 24 GB,
# 2-core machine this was measured on (see tools/benchmarks/README.md); --full-batch ignores it.
REDUCED_BATCH = {
    # 8 views of 224 px per image, all through the ResNet-50 with gradients: batch 8 (64 views)
    # peaks at ~7.5 GB RSS, so the configs' 62 / 64 (~500 views) would need ~50 GB
    'bam_resnet50_2xb62-coslr-400e_coco': 8,
    'bam_resnet50_2xb64-coslr-100e_voc12': 8,
}
CHECKPOINT_CONFIG = 'configs/mocov2/mocov2_resnet50_8xb32-coslr-200e_coco.py'
MAKE_CHECKPOINT = """
import sys, torch
from mmengine.config import Config
import mls_mm
from mmpretrain.registry import MODELS
from mmpretrain.utils import register_all_modules
register_all_modules()
torch.manual_seed(0)
model = MODELS.build(Config.fromfile(sys.argv[1]).model)
torch.save({'state_dict': model.state_dict(), 'meta': {}}, sys.argv[2])
"""


def discover(only=None):
    """[(config path relative to ROOT, kind)] of the real configs, ``--only`` filtered."""
    found = []
    for pattern, kind in CONFIG_GLOBS:
        for path in sorted(glob.glob(osp.join(ROOT, pattern))):
            rel = osp.relpath(path, ROOT)
            if '_scenes' not in osp.basename(rel):
                found.append((rel, kind))
    if only:
        patterns = [p for p in only.split(',') if p]
        found = [(rel, kind) for rel, kind in found
                 if any(p in rel or fnmatch.fnmatch(rel, p) for p in patterns)]
    return found


def _redirect_data_roots(node, data_root):
    """Point every ``data_root`` / root-relative path ``data/...`` under node at data_root."""
    changed = 0
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and value.startswith('data/') and key in (
                    'data_root', 'ann_file'):
                node[key] = osp.join(data_root, value[len('data/'):])
                changed += 1
            else:
                changed += _redirect_data_roots(value, data_root)
    elif isinstance(node, (list, tuple)):
        for child in node:
            changed += _redirect_data_roots(child, data_root)
    return changed


def write_override(config, out_path, data_root, iters=2, batch_size=None, checkpoint=None):
    """Write an override config ``_base_``-inheriting ``config`` (see the module docstring).

    Returns (the per-GPU batch size it trains with, the config's own)."""
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated')
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    loader = cfg.train_dataloader.to_dict()
    if not _redirect_data_roots(loader, data_root):
        raise ValueError(f'{config}: no data/... root in train_dataloader to redirect')
    own_batch = loader['batch_size']
    if batch_size:
        loader['batch_size'] = batch_size
    loader.update(num_workers=0, persistent_workers=False)
    loader['_delete_'] = True
    lines = [
        f'# {iters}-iteration run of {config} on the tiny full-size dataset '
        '(tools/benchmarks/full_size_configs.py)',
        f'_base_ = {osp.join(ROOT, config)!r}',
        f'train_dataloader = {loader!r}',
        f"train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters={iters}, "
        'val_interval=10 ** 9)',
        'val_dataloader = None', 'val_cfg = None', 'val_evaluator = None',
        'test_dataloader = None', 'test_cfg = None', 'test_evaluator = None',
        "default_hooks = dict(checkpoint=None, logger=dict(type='LoggerHook', interval=1))",
        'log_processor = dict(by_epoch=False, window_size=1)',
    ]
    if checkpoint:
        lines.append(f'model = dict(backbone=dict(init_cfg=dict(checkpoint={checkpoint!r})))')
    os.makedirs(osp.dirname(out_path), exist_ok=True)
    with open(out_path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return loader['batch_size'], own_batch


def make_checkpoint(path):
    """The MoCo v2 COCO config's model (ResNet-50), randomly initialised, as a checkpoint."""
    if not osp.isfile(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
        subprocess.run([sys.executable, '-W', 'ignore', '-c', MAKE_CHECKPOINT,
                        osp.join(ROOT, CHECKPOINT_CONFIG), path], check=True, cwd=ROOT, env=_env())
    return path


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _env(**extra):
    env = dict(os.environ, MLS_MM_ALLOW_CPU_DIST='1', PYTHON=sys.executable,
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _group_rss_mib(pgid):
    """Resident memory of all live processes of process group ``pgid``, MiB."""
    total = 0
    for stat in glob.glob('/proc/[0-9]*/stat'):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(')', 1)[1].split()
            if int(fields[2]) == pgid:
                total += int(fields[21]) * os.sysconf('SC_PAGE_SIZE')
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def run_limited(cmd, log_path, env, timeout, max_rss_mib):
    """Run cmd in its own process group. Returns (rc, peak RSS MiB of its largest process,
    wall seconds, why it was killed or None)."""
    start = time.monotonic()
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                                start_new_session=True)
    try:
        killed, status, usage = _watch(proc, start, timeout, max_rss_mib)
    except BaseException:  # Ctrl-C / SIGTERM of this script: its own session gets no signal
        _kill_group(proc.pid, signal.SIGKILL)
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    _kill_group(proc.pid, signal.SIGKILL)  # stray members (a torchrun worker whose parent died)
    return proc.returncode, usage.ru_maxrss / 1024, time.monotonic() - start, killed


def _kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _watch(proc, start, timeout, max_rss_mib):
    """Wait for proc, killing its group on timeout or RSS; (why killed or None, status, usage)."""
    killed = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        elapsed = time.monotonic() - start
        if killed is None:
            if elapsed > timeout:
                killed = f'timeout after {timeout:.0f} s'
            elif max_rss_mib and _group_rss_mib(proc.pid) > max_rss_mib:
                killed = f'killed: its processes exceeded {max_rss_mib} MiB RSS'
            if killed:
                os.killpg(proc.pid, signal.SIGTERM)
                kill_at = time.monotonic() + 15
        elif time.monotonic() > kill_at:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.5)
    return killed, status, usage


def read_iterations(work_dir):
    """The training iterations logged in the newest scalars.json under work_dir."""
    files = sorted(glob.glob(osp.join(work_dir, '**', 'vis_data', 'scalars.json'),
                             recursive=True), key=osp.getmtime)
    if not files:
        return []
    rows = []
    with open(files[-1]) as f:
        for line in f:
            row = json.loads(line)
            if 'time' in row:
                rows.append(row)
    return sorted(rows, key=lambda r: r.get('step', r.get('iter', 0)))


def last_error_line(log_path):
    with open(log_path, errors='replace') as f:
        lines = [line.strip() for line in f if line.strip()]
    for line in reversed(lines):
        if any(word in line for word in ('Error', 'error:', 'Exception', 'Killed')):
            return line
    return lines[-1] if lines else '(empty log)'


def command(config, kind, override, work_dir, checkpoint):
    if kind in ('train', 'probe'):
        return [sys.executable, osp.join(ROOT, 'tools/train.py'), override,
                '--work-dir', work_dir]
    folder = dict(mmdet='mmdetection', mmseg='mmsegmentation')[kind]
    return ['bash', osp.join(ROOT, f'tools/benchmarks/{folder}/dist_train.sh'), override,
            checkpoint, '1']


def run_config(config, kind, args, data_root, checkpoint, out_root):
    stem = osp.splitext(osp.basename(config))[0]
    work_dir = osp.join(out_root, 'work_dirs', stem)
    override = osp.join(out_root, 'configs', stem + '.py')
    batch = None if args.full_batch else REDUCED_BATCH.get(stem)
    for pattern, size in args.batch_size:
        if pattern in config:
            batch = size
    result = dict(config=config, iters=0, s_iter=None, rss=None, status='FAILED', notes=[],
                  error=None)
    try:
        used, own = write_override(config, override, data_root, args.iters, batch,
                                   checkpoint if kind == 'probe' else None)
    except Exception as err:   # a config that does not even load
        result['error'] = f'{type(err).__name__}: {err}'
        return result
    if used != own:
        result['notes'].append(f'batch {used} per GPU instead of {own}')
    os.makedirs(work_dir, exist_ok=True)
    log_path = osp.join(work_dir, 'run.log')
    env = _env(PORT=_free_port(), WORK_DIR=work_dir)
    rc, rss, wall, killed = run_limited(command(config, kind, override, work_dir, checkpoint),
                                        log_path, env, args.timeout, args.max_rss_mib)
    rows = read_iterations(work_dir)
    result.update(iters=len(rows), rss=rss)
    times = [r['time'] for r in rows]
    if len(times) > 1:
        result['s_iter'] = sum(times[1:]) / len(times[1:])
        data = [r['data_time'] for r in rows[1:] if 'data_time' in r]
        result['notes'].append(f'1st {times[0]:.1f} s')
        if data:
            result['notes'].append(f'data {sum(data) / len(data):.2f} s/iter')
    memory = [r['memory'] for r in rows if 'memory' in r]
    if memory:
        result['notes'].append(f'GPU max alloc {max(memory):.0f} MiB')
    result['notes'].append(f'wall {wall:.0f} s, load {os.getloadavg()[0]:.1f}')
    if killed:
        result['status'], result['error'] = 'FAILED', killed
    elif rc != 0:
        result['error'] = f'exit {rc}: {last_error_line(log_path)}'
    elif len(rows) < args.iters:
        result['error'] = f'{len(rows)} of {args.iters} iterations logged'
    else:
        result['status'] = 'ok'
    if result['error']:
        result['notes'].append(f'log {log_path}')
    return result


def format_line(result, width):
    s_iter = f"{result['s_iter']:.2f}" if result['s_iter'] is not None else '-'
    rss = f"{result['rss']:.0f}" if result['rss'] is not None else '-'
    return ' | '.join([result['config'].ljust(width), str(result['iters']), s_iter, rss,
                       result['status'], '; '.join(result['notes'])])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--only', help='comma-separated substrings or globs of config paths')
    parser.add_argument('--data-root', help='where to build (or reuse) the tiny dataset, the '
                        'checkpoint, the override configs and work dirs (default: a temporary '
                        'folder, removed at the end unless --keep)')
    parser.add_argument('--keep', action='store_true', help='keep the temporary folder')
    parser.add_argument('--timeout', type=float, default=1800,
                        help='seconds per config (default 1800)')
    parser.add_argument('--iters', type=int, default=2, help='iterations per config (default 2)')
    parser.add_argument('--batch-size', action='append', default=[], metavar='PATTERN=N',
                        help='per-GPU batch size N for the configs whose path contains PATTERN')
    parser.add_argument('--full-batch', action='store_true',
                        help="ignore the script's default batch reductions (REDUCED_BATCH)")
    parser.add_argument('--max-rss-mib', type=float, default=16000,
                        help='kill a run whose processes together exceed this (0: no limit)')
    parser.add_argument('--list', action='store_true', help='list the configs and exit')
    args = parser.parse_args(argv)
    if args.iters < 2:
        parser.error('--iters must be >= 2 (the first iteration is not timed)')
    sizes = []
    for item in args.batch_size:
        pattern, _, size = item.rpartition('=')
        if not pattern or not size.isdigit() or int(size) < 1:
            parser.error(f'--batch-size wants PATTERN=N, got {item!r}')
        sizes.append((pattern, int(size)))
    args.batch_size = sizes
    return args


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through run_limited, which kills the child group


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    configs = discover(args.only)
    if args.list:
        print('\n'.join(f'{kind:5s} {rel}' for rel, kind in configs))
        return 0
    if not configs:
        print(f'error: no real config matches --only {args.only!r}', file=sys.stderr)
        return 2
    temporary = args.data_root is None
    out_root = osp.abspath(args.data_root or tempfile.mkdtemp(prefix='full_size_'))
    os.makedirs(out_root, exist_ok=True)
    import torch
    device = f'GPU {torch.cuda.get_device_name(0)}' if torch.cuda.is_available() else 'no GPU'
    print(f'# {len(configs)} configs, {args.iters} iterations each; {os.cpu_count()} CPU cores, '
          f'{device}; working in {out_root}', flush=True)
    start = time.monotonic()
    from standard_layouts import build_layouts
    data_root = build_layouts(osp.join(out_root, 'data'))
    checkpoint = None
    if any(kind != 'train' for _, kind in configs):
        checkpoint = make_checkpoint(osp.join(out_root, 'pretrain', 'mocov2_r50_random',
                                              'epoch_0.pth'))
    print(f'# data and checkpoint ready in {time.monotonic() - start:.0f} s', flush=True)
    width = max(len(rel) for rel, _ in configs)
    print(' | '.join(['config'.ljust(width), 'iters', 's/iter', 'peak RSS MiB', 'status',
                      'notes']), flush=True)
    results = []
    for rel, kind in configs:
        result = run_config(rel, kind, args, data_root, checkpoint, out_root)
        results.append(result)
        print(format_line(result, width), flush=True)
    failed = [r for r in results if r['status'] != 'ok']
    print(f'# {len(results) - len(failed)} of {len(results)} configs ok, {len(failed)} failed, '
          f'{(time.monotonic() - start) / 60:.1f} min in all')
    for result in failed:
        print(f"# FAILED {result['config']}: {result['error']}")
    if temporary and not args.keep and not failed:
        import shutil
        shutil.rmtree(out_root, ignore_errors=True)
    elif temporary:
        print(f'# kept {out_root}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
