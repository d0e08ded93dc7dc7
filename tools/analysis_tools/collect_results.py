"""Benchmark tables from the logs of pretraining and downstream work_dirs.

Writes one comparison table (method, data, epochs, batch, downstream metrics, config, log) as
markdown to stdout and to ``--out``; with ``--update-method-folders``, also each method
folder's README table (between ``<!-- results:begin -->`` / ``<!-- results:end -->``) and its
``metafile.yml``: the pretraining entry keeps ``Results: null`` and lists, under
``Downstream``, one entry per downstream run with its own Results and Config (see
``method_folders.py``). Every number comes from the logs (``mls_mm.utils.results``); what is
not found reads ``missing`` and the footnote says where it was looked for. Log paths are shown
as text (code spans), not links: they lie in each run's work_dir, which a clone does not have.

The spec (``--spec FILE``, a ``.py``/``.yml``/``.json`` read by mmengine's Config, its
top-level keys below; default :data:`DEFAULT_SPEC`)::

    root: work_dirs/main               # run folders are relative to it (--root overrides)
    drop_groups_without_runs: true     # optional (default false), see below
    pretrain:                          # the pretraining run of each method
      run: pretrain/{method}           # {method} = the method's name
      metrics: []                      # optional, e.g. [{name: kNN mAP, keys: [knn/mAP]}]
    methods:                           # table rows, in order
      - {name: mls, title: MLS, folder: configs/mls}   # folder: README.md + metafile.yml
      - {name: random, title: random init, pretrain: false}   # no pretraining run
    downstream:                        # column groups
      - name: transfer                 # column prefix
        run: transfer/{method}
        task: Object Detection         # metafile Task (none: no metafile entry)
        dataset: null                  # metafile Dataset; null: the run's val data_root name
        metrics:                       # first key found in the logs wins
          - {name: box AP, keys: [coco/bbox_mAP], scale: 100, digits: 1}
          - {name: mask AP, keys: [coco/segm_mAP], scale: 100, task: Instance Segmentation}
      - name: finetune                 # end-to-end fine-tuning, single-label top-1 (percent)
        run: finetune/{method}
        task: Image Classification
        metrics: [{name: top-1, keys: [accuracy/top1]}]

``scale`` multiplies the logged value (mmdet logs AP in [0, 1]); ``digits`` defaults to 2.
With ``drop_groups_without_runs: true`` (the default spec's), a downstream group of which no
method has a run (no launch folder under any row's run folder, in any seed) is left out of the
table, with one note saying so: the main job makes no ``finetune`` runs, so its table has no
column that could only read ``missing``. A spec that fixes its layout (MLS's Table 5) leaves it
unset and shows ``missing``.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mls_mm.utils.results import latest_metrics, pick, run_facts  # noqa: E402

try:
    from .method_folders import update_method_folders
except ImportError:  # run as a script
    from method_folders import update_method_folders

_PROBE = [('mAP', 'multi-label/mAP'), ('CP', 'multi-label/precision'),
          ('CR', 'multi-label/recall'), ('CF1', 'multi-label/f1-score'),
          ('OP', 'multi-label/precision_micro'), ('OR', 'multi-label/recall_micro'),
          ('OF1', 'multi-label/f1-score_micro')]
DEFAULT_SPEC = dict(
    root='work_dirs/main',
    drop_groups_without_runs=True,
    pretrain=dict(run='pretrain/{method}', metrics=[]),
    methods=[dict(name='mocov2', title='MoCo v2', folder='configs/mocov2'),
             dict(name='simsiam', title='SimSiam', folder='configs/simsiam'),
             dict(name='mls', title='MLS', folder='configs/mls'),
             dict(name='bam', title='BAM', folder='configs/bam'),
             dict(name='random', title='random init', pretrain=False)],
    downstream=[
        dict(name='probe', run='probe/{method}', task='Multi-Label Classification',
             metrics=[dict(name=n, keys=[k]) for n, k in _PROBE]),
        dict(name='transfer', run='transfer/{method}', task='Object Detection', metrics=[
            dict(name='box AP', keys=['coco/bbox_mAP'], scale=100, digits=1),
            dict(name='box AP50', keys=['coco/bbox_mAP_50'], scale=100, digits=1),
            dict(name='mask AP', keys=['coco/segm_mAP'], scale=100, digits=1,
                 task='Instance Segmentation')]),
        # end-to-end fine-tuning (MLS Table 5 protocol; the scenes twin
        # configs/benchmarks/classification/scenes/resnet18_finetune-1xb32-coslr-4e_scenes-64px.py
        # through tools/benchmarks/mmpretrain/dist_train.sh); mmpretrain logs top-1 in percent
        dict(name='finetune', run='finetune/{method}', task='Image Classification', metrics=[
            dict(name='top-1', keys=['accuracy/top1'])])])
MISSING = 'missing'
FIXED = ['Data', 'Epochs', 'Batch', 'Images seen', 'Wall']
WALL_FILE = 'run_main.json'  # written into a work_dir by tools/run_main.py: {"wall_s": ...}


def load_spec(path=None) -> dict:
    """The spec in ``path`` (``.py``, ``.yml``, ``.json``) or a copy of the default."""
    if path is None:
        return copy.deepcopy(DEFAULT_SPEC)
    from mmengine.config import Config
    return Config.fromfile(path, import_custom_modules=False).to_dict()


def _epochs(f):
    for total, done, unit in ((f['max_epochs'], f['last_epoch'], ''),
                              (f['max_iters'], f['last_step'], ' iters')):
        if total is not None:
            return f'{total}{unit}' if done is None or done >= total else \
                f'{done} of {total}{unit}'
    return None


def _batch(f):
    bs, ws = f['batch_size'], f['world_size']
    if bs is None:
        return None
    return f'{bs * ws} ({ws}x{bs})' if ws else f'{bs} per process'


def _images_seen(f):
    """Images the optimiser saw: last logged step x batch per process x processes."""
    if f['last_step'] is None or f['batch_size'] is None:
        return None
    return str(f['last_step'] * f['batch_size'] * (f['world_size'] or 1))


def _wall(work_dir):
    """Wall time of the run as tools/run_main.py measured it (start-up included), or None."""
    path = osp.join(work_dir, WALL_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return f"{json.load(f)['wall_s'] / 60:.1f} min"


def _dataset_name(facts):
    ds = ((facts or {}).get('cfg', {}).get('val_dataloader') or {}).get('dataset') or {}
    root = ds.get('data_root') or ''
    return osp.basename(root.rstrip('/')) or ds.get('type') or MISSING


def _metric_cells(row, group, metrics, work_dir, notes, facts, task=None, dataset=None):
    keys = [k for m in metrics for k in m['keys']]
    found = latest_metrics(work_dir, keys) if facts else None
    results = {}
    for m in metrics:
        column = f"{group} {m['name']}".strip()
        value = pick(found['values'], m['keys']) if found else None
        if value is None:
            row['cells'][column] = MISSING
            if found:
                notes.append(f"{row['title']}, {column}: none of {m['keys']} logged in "
                             f"`{found['source']}`")
            continue
        value *= m.get('scale', 1)
        row['cells'][column] = f"{value:.{m.get('digits', 2)}f}"
        row.setdefault('values', {})[column] = value  # unrounded, for the seeds' mean
        entry_task = m.get('task', task)
        if entry_task:
            results.setdefault((entry_task, dataset), {})[m['name']] = round(value, 4)
    if facts is None:
        notes.append(f"{row['title']}, {group or 'pretrain'}: no run (no launch folder "
                     f'under `{work_dir}`)')
    elif found is None and metrics:
        notes.append(f"{row['title']}, {group or 'pretrain'}: no evaluation logged in "
                     f'`{work_dir}`')
    ours = [dict(Task=t, Dataset=d, Metrics=v) for (t, d), v in results.items()]
    row['results'] += ours
    return (found['source'] if found else None), ours


def collect(spec: dict, root=None) -> dict:
    """Read every run of the spec. Returns ``columns``, ``rows`` and ``notes`` (footnote)."""
    root = spec.get('root', '.') if root is None else root
    pre = spec.get('pretrain', {})
    columns, rows, notes = list(FIXED), [], []
    columns += [f"pretrain {m['name']}" for m in pre.get('metrics', [])]
    for group in spec.get('downstream', []):
        columns += [f"{group['name']} {m['name']}" for m in group['metrics']]
    for method in spec['methods']:
        row = dict(name=method['name'], title=method.get('title', method['name']),
                   folder=method.get('folder'), cells={}, logs=[], results=[], config=None,
                   downstream=[])
        has_pre = method.get('pretrain', True) is not False
        if has_pre:
            wd = osp.join(root, pre.get('run', 'pretrain/{method}').format(method=row['name']))
            facts = run_facts(wd)
            if facts is not None:
                row['config'], row['facts'] = facts['config'], facts
                row['logs'].append(('pretrain', facts['log']))
                for col, text in zip(FIXED, ((facts['data_root'] or '').rstrip('/') or None,
                                             _epochs(facts), _batch(facts),
                                             _images_seen(facts), _wall(wd))):
                    row['cells'][col] = text or MISSING
                    if not text:
                        where = (f'no `{WALL_FILE}` (written by tools/run_main.py) in'
                                 if col == 'Wall' else 'not in the config or log of')
                        notes.append(f"{row['title']}, {col}: {where} `{wd}`")
            else:
                row['cells'].update({c: MISSING for c in FIXED})
            _metric_cells(row, 'pretrain', pre.get('metrics', []), wd, notes, facts)
        else:
            row['cells'].update({c: '-' for c in FIXED})
            row['cells'].update({f"pretrain {m['name']}": '-' for m in pre.get('metrics', [])})
        for group in spec.get('downstream', []):
            wd = osp.join(root, group['run'].format(method=row['name']))
            facts = run_facts(wd)
            source, results = _metric_cells(row, group['name'], group['metrics'], wd, notes,
                                            facts, group.get('task'),
                                            group.get('dataset') or _dataset_name(facts))
            if facts is not None:
                # its own metafile entry (named after the dumped config), then the log of the
                # launch the numbers come from
                row['downstream'].append(dict(group=group['name'], config=facts['config'],
                                              facts=facts, results=results))
                log = osp.join(source, osp.basename(source) + '.log') if source else None
                row['logs'].append((group['name'], log if log and osp.isfile(log)
                                    else facts['log']))
        rows.append(row)
    return dict(columns=columns, rows=rows, notes=notes)


def _number(cell):
    try:
        return float(cell.split()[0])
    except (ValueError, IndexError, AttributeError):
        return None


def _mean_metrics(entries_per_seed, entry):
    """Mean of each metric of ``entry`` over the seeds whose entry of the same Task and
    Dataset has it; a metric absent from any seed is left out."""
    import statistics
    same = [[e for e in entries if (e['Task'], e['Dataset']) == (entry['Task'], entry['Dataset'])]
            for entries in entries_per_seed]
    metrics = {}
    for name in entry['Metrics']:
        values = [found[0]['Metrics'][name] for found in same
                  if found and name in found[0]['Metrics']]
        if len(values) == len(entries_per_seed):
            metrics[name] = round(statistics.mean(values), 4)
    return dict(entry, Metrics=metrics)


def drop_groups_without_runs(tables: list, spec: dict, roots: list) -> list:
    """With the spec's ``drop_groups_without_runs``: leave out of every table the downstream
    groups that no row of any table has a run for (their columns, cells and per-row 'no run'
    notes), with one note per group instead."""
    if not spec.get('drop_groups_without_runs', False):
        return tables
    for group in spec.get('downstream', []):
        name = group['name']
        if any(d['group'] == name for t in tables for r in t['rows'] for d in r['downstream']):
            continue
        columns = {f"{name} {m['name']}".strip() for m in group['metrics']}
        folders = ', '.join(f"`{osp.join(r, group['run'].split('{method}')[0])}`"
                            for r in roots)
        for table in tables:
            table['columns'] = [c for c in table['columns'] if c not in columns]
            for row in table['rows']:
                for column in columns:
                    row['cells'].pop(column, None)
            absent = tuple(f"{row['title']}, {name}: no run (" for row in table['rows'])
            table['notes'] = [n for n in table['notes'] if not n.startswith(absent)]
            table['notes'].append(f'{name}: no runs under {folders}, so no {name} columns')
    return tables


def aggregate_seeds(tables: list) -> dict:
    """One table from the tables of runs that differ only in their seed (same spec).

    A metric (and the wall time) that is a number in every seed's table becomes
    ``mean ± std`` (sample standard deviation, n - 1, of the unrounded metrics; the unit of the
    first table is kept);
    one missing in some seeds reads ``k of n seeds`` (and is left out of the metafile
    results); any other cell (data, epochs, batch, images seen) must agree across seeds or
    reads ``varies``. Results (metafile) hold the means; logs and configs are the first
    seed's.
    """
    import statistics
    first = tables[0]
    rows = []
    for index, row in enumerate(first['rows']):
        seed_rows = [t['rows'][index] for t in tables]
        if any(r['name'] != row['name'] for r in seed_rows):
            raise ValueError(f'seed tables list different methods at row {index}: '
                             f"{[r['name'] for r in seed_rows]}")
        cells = {}
        for column, cell in row['cells'].items():
            values = [r.get('values', {}).get(column, _number(r['cells'].get(column)))
                      for r in seed_rows]
            found = [v for v in values if v is not None]
            averaged = column not in FIXED or column == 'Wall'
            if averaged and len(found) == len(values) > 1:
                mean, std = statistics.mean(values), statistics.stdev(values)
                unit = ' '.join(cell.split()[1:])
                digits = len(cell.split()[0].partition('.')[2])
                cells[column] = f'{mean:.{digits}f} ± {std:.{digits}f}' + \
                    (f' {unit}' if unit else '')
            elif averaged and found:
                cells[column] = f'{len(found)} of {len(values)} seeds'
            else:
                texts = {r['cells'].get(column) for r in seed_rows}
                cells[column] = cell if len(texts) == 1 else 'varies'
        results = [_mean_metrics([r['results'] for r in seed_rows], e) for e in row['results']]
        downstream = []
        for d in row['downstream']:
            same = [[x for x in r['downstream'] if x['group'] == d['group']] for r in seed_rows]
            per_seed = [found[0]['results'] if found else [] for found in same]
            downstream.append(dict(d, results=[_mean_metrics(per_seed, e) for e in d['results']]))
        rows.append(dict(row, cells=cells, results=results, downstream=downstream))
    notes = list(dict.fromkeys(n for t in tables for n in t['notes']))
    return dict(columns=first['columns'], rows=rows, notes=notes, seeds=len(tables))


def to_markdown(table: dict, link_base=None, method_column=True, rows=None) -> str:
    """The table (optionally only some ``rows``); log paths as text (code spans, never links:
    they lie in the runs' work_dirs), relative to ``link_base`` when given."""
    rel = (lambda p: osp.relpath(p, link_base)) if link_base else (lambda p: p)
    head = (['Method'] if method_column else []) + table['columns'] + ['Config', 'Log']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for row in table['rows'] if rows is None else rows:
        logs = ' '.join(f'{label}: `{rel(path)}`'
                        for label, path in row['logs'] if path) or MISSING
        config = f"`{row['config']}.py`" if row['config'] else \
            ('-' if row['cells']['Data'] == '-' else MISSING)
        cells = ([row['title']] if method_column else []) + \
            [row['cells'][c] for c in table['columns']] + [config, logs]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def render_row(table: dict, row: dict, link_base: str) -> str:
    """README body of one method: its row without the Method column, and its notes; log
    paths relative to ``link_base`` (the repository root)."""
    notes = [n for n in table['notes'] if n.startswith(row['title'] + ', ')]
    return to_markdown(table, link_base, method_column=False, rows=[row]) + footnote(notes, table.get('seeds'))


def footnote(notes, seeds=None) -> str:
    text = ('\nNumbers: the last logged value of the latest launch that logged the metric '
            '(`tools/analysis_tools/collect_results.py`)' + (
                f"; mean ± sample standard deviation over {seeds} seeds' runs, configs and "
                'logs of the first seed' if seeds else '') + '. Log: the text log of that launch, '
            "in the run's work_dir (`work_dirs/` is not part of the repository, so the paths "
            'are text, not links); `missing`: not found in the logs')
    return text + (':\n\n' + '\n'.join(f'- {n}' for n in notes) + '\n' if notes else '.\n')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--spec', help='spec file (.py/.yml/.json); default: DEFAULT_SPEC')
    parser.add_argument('--root', help="folder of the runs (overrides the spec's root)")
    parser.add_argument('--seed-roots', nargs='+', metavar='ROOT',
                        help='several roots of the same runs with different seeds (e.g. '
                             'work_dirs/main_3seeds/seed_*): one table of mean ± std '
                             '(instead of --root)')
    parser.add_argument('--out', help='markdown file (default: <root>/results.md)')
    parser.add_argument('--update-method-folders', action='store_true',
                        help="write each method folder's README table and metafile entries "
                             '(downstream entries linked from the pretraining entry)')
    args = parser.parse_args(argv)
    spec = load_spec(args.spec)
    if args.seed_roots and args.root:
        parser.error('--root and --seed-roots exclude each other')
    if args.seed_roots:
        tables = drop_groups_without_runs([collect(spec, r) for r in args.seed_roots], spec,
                                          args.seed_roots)
        table = aggregate_seeds(tables)
        root = osp.dirname(osp.normpath(args.seed_roots[0]))
    else:
        root = args.root or spec.get('root', '.')
        (table, ) = drop_groups_without_runs([collect(spec, root)], spec, [root])
    out = args.out or osp.join(root, 'results.md')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    text = to_markdown(table) + footnote(table['notes'], table.get('seeds'))
    with open(out, 'w') as f:
        f.write(text)
    print(text + f'\nwritten: {out}')
    if args.update_method_folders:
        for line in update_method_folders(table, lambda row, base: render_row(table, row, base)):
            print(line)


if __name__ == '__main__':
    main()
