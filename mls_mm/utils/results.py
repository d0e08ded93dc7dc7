"""Reading mmengine work_dirs: scalars, last evaluation metrics and facts from the config.

A work_dir written by ``tools/train.py CONFIG --work-dir WD`` (or ``tools/test.py``) holds
``WD/<config name>.py`` (the dumped config), ``WD/last_checkpoint`` and one folder per launch,
``WD/<YYYYmmdd_HHMMSS>/`` with the text log ``<ts>.log``, ``vis_data/scalars.json`` (one JSON
object per line: train lines carry ``lr`` and the losses, evaluation lines the metric keys,
both a ``step``), ``vis_data/config.py`` and, after a test, ``<ts>.json`` (the test metrics).

A resumed or repeated run has several launch folders. Metrics are read from the **latest
launch that logged any of the keys asked for** (an unfinished latest launch does not hide the
metrics of the one before it); within it, each key takes its last logged value. Training
curves (:func:`train_history`) are merged over launches, a later launch replacing the steps
it logged again. Without ``scalars.json`` the text log is parsed instead (values rounded to
the log's 4 digits). Every value comes from those files; nothing is filled in.

Kept by hand: mmpretrain's ``analyze_logs.py`` reads ``scalars.json`` the same way, but it is a
script under ``mmpretrain/.mim/tools`` (no importable API), reads one launch, and has no
text-log fallback or metric selection across resumed launches.
"""
import glob
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')
_LOG_LINE = re.compile(r'(Epoch|Iter)\((train|val|test)\)\s*((?:\[\s*\d+(?:/\d+)?\])+)(.*)$')
_LOG_PAIR = re.compile(r'([\w/.@-]+): ([-+]?\d[\d.]*(?:e[-+]?\d+)?)(?=\s|$)')
_WORLD = re.compile(r'GPU number: (\d+)')


def launch_dirs(work_dir: str) -> List[str]:
    """The ``<timestamp>`` folders of a work_dir, oldest first ([] when there are none)."""
    if not osp.isdir(work_dir):
        return []
    return sorted(d for d in glob.glob(osp.join(work_dir, '*'))
                  if osp.isdir(d) and TIMESTAMP.match(osp.basename(d)))


def find_work_dirs(root: str) -> List[str]:
    """Every folder at or under ``root`` that has at least one launch folder, sorted."""
    found = {osp.dirname(d) for d in glob.glob(osp.join(root, '**', '*'), recursive=True)
             if osp.isdir(d) and TIMESTAMP.match(osp.basename(d))}
    return sorted(found)


def is_train_record(record: dict) -> bool:
    """Train lines carry the learning rate or a loss; evaluation and monitor lines do not."""
    return 'lr' in record or any(k == 'loss' or k.startswith('loss_') for k in record)


def _parse_text_log(path: str) -> List[dict]:
    records = []
    with open(path, errors='replace') as f:
        for line in f:
            m = _LOG_LINE.search(line)
            if m is None:
                continue
            kind, mode, brackets, rest = m.groups()
            nums = [int(n) for n in re.findall(r'\d+', brackets)]
            record = {k: float(v) for k, v in _LOG_PAIR.findall(rest)}
            if mode == 'train' and kind == 'Epoch' and len(nums) == 3:
                record.update(epoch=nums[0], step=(nums[0] - 1) * nums[2] + nums[1])
            elif mode == 'train':
                record['step'] = nums[0]
            elif kind == 'Epoch':
                record['step'] = nums[0]
            records.append(record)
    return records


def read_records(launch_dir: str) -> List[dict]:
    """All scalar records of one launch, in logged order.

    ``vis_data/scalars.json`` lines, then the test metrics of ``<ts>.json`` when the launch
    was a test; without ``scalars.json``, the records parsed from ``<ts>.log``.
    """
    name = osp.basename(launch_dir)
    scalars = osp.join(launch_dir, 'vis_data', 'scalars.json')
    log = osp.join(launch_dir, f'{name}.log')
    records = []
    if osp.isfile(scalars):
        with open(scalars) as f:
            records = [json.loads(line) for line in f if line.strip()]
    elif osp.isfile(log):
        records = _parse_text_log(log)
    test_json = osp.join(launch_dir, f'{name}.json')
    if osp.isfile(test_json):
        try:
            with open(test_json) as f:
                test = json.load(f)  # one object after a test; scalar lines otherwise
            if isinstance(test, dict):
                records.append(test)
        except json.JSONDecodeError:
            pass
    return records


def latest_metrics(work_dir: str, keys: Sequence[str]) -> Optional[dict]:
    """Last logged value of each of ``keys`` in the latest launch that logged any of them.

    Returns:
        dict | None: ``values`` (key -> float, only the keys found), ``source`` (the launch
        folder), ``step`` (of the last record used); None when no launch logged any key.
    """
    for launch in reversed(launch_dirs(work_dir)):
        values, step = {}, None
        for record in read_records(launch):
            found = [k for k in keys if k in record and not is_train_record(record)]
            for key in found:
                values[key] = float(record[key])
            if found:
                step = record.get('step', step)
        if values:
            return dict(values=values, source=launch, step=step)
    return None


def train_history(work_dir: str) -> List[dict]:
    """Train records of every launch merged by step (a later launch replaces repeated steps)."""
    merged: List[dict] = []
    for launch in launch_dirs(work_dir):
        new = [r for r in read_records(launch) if is_train_record(r)]
        if new:
            first = new[0].get('step', 0)
            merged = [r for r in merged if r.get('step', 0) < first] + new
    return merged


def eval_history(work_dir: str) -> List[dict]:
    """Non-train records (evaluation, monitors such as ``knn/mAP``) of every launch, in order."""
    return [r for launch in launch_dirs(work_dir) for r in read_records(launch)
            if not is_train_record(r)]


def _load_config(path: str) -> dict:
    from mmengine.config import Config
    return Config.fromfile(path, import_custom_modules=False).to_dict()


def run_facts(work_dir: str) -> Optional[dict]:
    """What a run's own files say about it (None when ``work_dir`` has no launch folder).

    Returns:
        dict: ``config`` (name of the dumped config, without ``.py``, or None), ``cfg`` (the
        config of the latest launch as a dict, or {}), ``data_root``, ``max_epochs``,
        ``max_iters``, ``batch_size`` (per process), ``world_size`` (from the log's ``GPU
        number``, None if not logged), ``last_epoch`` and ``last_step`` (of the last train
        record), ``log`` (text log of the latest launch, or None).
    """
    launches = launch_dirs(work_dir)
    if not launches:
        return None
    dumped = sorted(glob.glob(osp.join(work_dir, '*.py')), key=osp.getmtime)
    cfg_files = [osp.join(d, 'vis_data', 'config.py') for d in reversed(launches)]
    cfg_file = next((f for f in cfg_files + dumped[::-1] if osp.isfile(f)), None)
    cfg = _load_config(cfg_file) if cfg_file else {}
    train_cfg = cfg.get('train_cfg') or {}
    loader = cfg.get('train_dataloader') or {}
    dataset = loader.get('dataset') or {}
    while 'dataset' in dataset and 'data_root' not in dataset:  # RepeatDataset and the like
        dataset = dataset['dataset']
    logs = [osp.join(d, f'{osp.basename(d)}.log') for d in reversed(launches)]
    log = next((p for p in logs if osp.isfile(p)), None)
    world_size = None
    if log is not None:
        with open(log, errors='replace') as f:
            m = _WORLD.search(f.read(200_000))
        world_size = int(m.group(1)) if m else None
    history = train_history(work_dir)
    last = history[-1] if history else {}
    return dict(
        config=osp.splitext(osp.basename(dumped[-1]))[0] if dumped else None,
        cfg=cfg, data_root=dataset.get('data_root'),
        max_epochs=train_cfg.get('max_epochs'), max_iters=train_cfg.get('max_iters'),
        batch_size=loader.get('batch_size'), world_size=world_size,
        last_epoch=last.get('epoch'), last_step=last.get('step'), log=log)


def pick(values: Dict[str, float], keys: Sequence[str]) -> Optional[float]:
    """The value of the first of ``keys`` present in ``values``, else None."""
    return next((values[k] for k in keys if k in values), None)
