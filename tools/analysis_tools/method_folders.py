"""Write measured results into a method folder's README.md and metafile.yml, touching nothing else.

README: the table goes between ``<!-- results:begin -->`` and ``<!-- results:end -->``. When
the markers are missing they are created once, at the end of the ``## Results`` section
(before its next ``## `` heading or its first fenced code block, e.g. the BibTeX), or in a new
``## Results`` section at the end; later runs replace only what lies between them, so the rest
of the file stays byte-identical. Log paths are text (code spans), never links: ``work_dirs/``
is not part of the repository.

metafile.yml, in mmpretrain's schema (``Results`` are a config's own results; downstream
results are entries of their own, listed by the pretraining entry's ``Downstream``): the
pretraining entry (``Name`` = the pretraining config's name) gets ``Results: null`` and
``Downstream: [names]``; each downstream run that logged results gets the entry
``<pretraining config>-pre_<downstream config>`` with its own ``Metadata``, ``Results`` and
``Config`` (the downstream config, found under ``configs/`` by the name of the config dumped
in the run's work_dir). **Careful text editing** (not a safe_load/safe_dump round trip, which
would lose the comments and the layout): only the fields written (or the new entries) change,
rendered by a ``yaml.SafeDumper``; the edited file is parsed again and compared with the
intended content before it is written.
"""
import glob
import os.path as osp
import re
from typing import Callable, List, Optional

import yaml

class _Dumper(yaml.SafeDumper):
    """SafeDumper that indents list items under their key, as the metafiles are written."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _dump(obj) -> str:
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False)


BEGIN, END = '<!-- results:begin -->', '<!-- results:end -->'
NOTE = ('Measured: written by `tools/analysis_tools/collect_results.py --update-method-folders` '
        'from the logs; the tool rewrites what lies between these markers.')


def update_readme(path: str, body: str) -> bool:
    """Put ``body`` between the markers of ``path``; True when the file changed."""
    with open(path) as f:
        text = f.read()
    block = f'{BEGIN}\n{NOTE}\n\n{body.strip()}\n{END}'
    if BEGIN in text and END in text.split(BEGIN, 1)[1]:
        head, rest = text.split(BEGIN, 1)
        new = head + block + rest.split(END, 1)[1]
    else:
        lines = text.splitlines(keepends=True)
        start = next((i for i, ln in enumerate(lines) if ln.strip() == '## Results'), None)
        if start is None:
            new = text.rstrip('\n') + f'\n\n## Results\n\n{block}\n'
        else:
            stop = next((i for i in range(start + 1, len(lines))
                         if lines[i].startswith('## ') or lines[i].startswith('```')),
                        len(lines))
            pre = ''.join(lines[:stop])
            sep = '' if pre.endswith('\n\n') else ('\n' if pre.endswith('\n') else '\n\n')
            new = pre + sep + block + '\n' + ('\n' if stop < len(lines) else '') + \
                ''.join(lines[stop:])
    if new != text:
        with open(path, 'w') as f:
            f.write(new)
    return new != text


def _indent(text: str, n: int) -> str:
    return ''.join(' ' * n + ln if ln.strip() else ln for ln in text.splitlines(True))


def _block_end(lines: List[str], start: int, indent: int, item_ok: bool) -> int:
    """First line after ``start`` that is non-blank and indented <= ``indent`` (list items
    at ``indent`` count as inside when ``item_ok``); trailing blank lines stay outside."""
    end = start + 1
    for i in range(start + 1, len(lines)):
        ln = lines[i]
        if not ln.strip():
            continue
        ind = len(ln) - len(ln.lstrip(' '))
        if ind > indent or (item_ok and ind == indent and ln.lstrip().startswith('- ')):
            end = i + 1
        else:
            break
    return end


def _entry_span(lines: List[str], name: str):
    """(first line, line after the last, indent of ``- ``) of model entry ``name``."""
    pat = re.compile(rf'^(\s*)- Name:\s*["\']?{re.escape(name)}["\']?\s*(#.*)?$')
    start = next(i for i, ln in enumerate(lines) if pat.match(ln.rstrip('\n')))
    item = len(pat.match(lines[start].rstrip('\n')).group(1))
    return start, _block_end(lines, start, item, False), item


def edit_metafile(path: str, name: str, fields: Optional[dict] = None,
                  new_entry: Optional[dict] = None, after: Optional[str] = None) -> bool:
    """Set the top-level ``fields`` of model ``name`` (a value of None writes ``null``), or,
    when there is no such model, insert ``new_entry`` (its ``Name`` is ``name``; ``In
    Collection`` defaults to the first collection). A new entry goes after model ``after`` and
    the entries of its ``Downstream`` that follow it, else at the end of ``Models``. Text
    editing: only the edited fields (or the new entry) change; the result is parsed again and
    compared with the intended content before the file is written. True when it changed."""
    with open(path) as f:
        text = f.read()
    data = yaml.safe_load(text) or {}
    models = data.get('Models') or []
    entry = next((m for m in models if m.get('Name') == name), None)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith('\n'):
        lines[-1] += '\n'
    if entry is not None:
        for key, value in (fields or {}).items():
            start, end, item = _entry_span(lines, name)
            field = item + 2
            at = next((i for i in range(start + 1, end)
                       if re.match(rf'^ {{{field}}}{re.escape(key)}:', lines[i])), None)
            block = _indent(_dump({key: value}), field)
            if at is not None:
                lines[at:_block_end(lines, at, field, True)] = [block]
            else:  # Results before Config (mmpretrain's order), other fields at the end
                at = next((i for i in range(start + 1, end) if key == 'Results' and
                           re.match(rf'^ {{{field}}}Config:', lines[i])), end)
                lines[at:at] = [block]
            entry[key] = value
    else:
        collection = ((data.get('Collections') or [{}])[0] or {}).get('Name')
        entry = {'Name': name, **({'In Collection': collection} if collection else {}),
                 **{k: v for k, v in (new_entry or {}).items() if k != 'Name'}}
        new = _indent(_dump([entry]), 2)
        names = [m.get('Name') for m in models]
        pos = None
        if after in names:
            pos = names.index(after)
            follow = set(models[pos].get('Downstream') or [])
            while pos + 1 < len(models) and models[pos + 1].get('Name') in follow:
                pos += 1
        top = next((i for i, ln in enumerate(lines) if ln.startswith('Models:')), None)
        if pos is not None:
            at = _entry_span(lines, names[pos])[1]
            lines[at:at] = [new]
            models.insert(pos + 1, entry)
        elif top is None:
            lines += ['\nModels:\n', new]
            data['Models'] = [entry]
        else:
            stop = next((i for i in range(top + 1, len(lines)) if re.match(r'^[^\s#-]', lines[i])),
                        len(lines))
            lines[stop:stop] = [new]
            if models:
                models.append(entry)  # the list inside ``data``
            else:
                data['Models'] = [entry]
    new_text = ''.join(lines)
    if yaml.safe_load(new_text) != data:
        raise ValueError(f'editing {path} for {name} would change more than intended; '
                         'file left as it was')
    if new_text != text:
        with open(path, 'w') as f:
            f.write(new_text)
    return new_text != text


def update_metafile(path: str, name: str, results: List[dict],
                    metadata: Optional[dict] = None, config: Optional[str] = None) -> bool:
    """Add or replace ``results`` (``Task``, ``Dataset``, ``Metrics``) of model ``name``: its
    old entries minus those with the same (Task, Dataset), plus ours; an absent model is
    appended to ``Models`` with ``metadata`` and ``config``."""
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    entry = next((m for m in data.get('Models') or [] if m.get('Name') == name), None)
    ours = {(r['Task'], r['Dataset']) for r in results}
    kept = [r for r in ((entry or {}).get('Results') or [])
            if (r.get('Task'), r.get('Dataset')) not in ours]
    merged = (kept + list(results)) or None
    return edit_metafile(path, name, {'Results': merged},
                         {'Metadata': metadata or {}, 'Results': merged,
                          **({'Config': config} if config else {})})


def find_config(name: str, repo_root: str = '.') -> Optional[str]:
    """``configs/**/<name>.py`` relative to ``repo_root`` (the first in sorted order), or None."""
    found = sorted(glob.glob(osp.join(repo_root, 'configs', '**', name + '.py'), recursive=True))
    return osp.relpath(found[0], repo_root) if found else None


def _config_epochs(path: str) -> Optional[int]:
    try:
        from mmengine.config import Config
        cfg = Config.fromfile(path, import_custom_modules=False)
        return (cfg.get('train_cfg') or {}).get('max_epochs')
    except Exception:  # a config that does not load here says nothing about its schedule
        return None


def run_metadata(facts: dict, config_file: Optional[str] = None) -> dict:
    """Epochs, Batch Size (all processes), Training Data of a run, from its own files; with
    the config file it ran, a ``Schedule`` note when the run's epochs differ from the file's
    (e.g. ``train_cfg.max_epochs`` set at launch) or when it stopped before the end."""
    facts = facts or {}
    epochs = facts.get('max_epochs')
    meta = {k: v for k, v in (('Epochs', epochs),
                              ('Batch Size', (facts.get('batch_size') or 0) *
                               (facts.get('world_size') or 0) or None),
                              ('Training Data', facts.get('data_root'))) if v}
    notes = []
    own = _config_epochs(config_file) if config_file else None
    if own is not None and epochs is not None and own != epochs:
        notes.append(f"{epochs} of the config's {own} epochs (train_cfg.max_epochs={epochs} "
                     'at launch)')
    last = facts.get('last_epoch')
    if epochs is not None and last is not None and last < epochs:
        notes.append(f'stopped after epoch {last} of {epochs}')
    if notes:
        meta['Schedule'] = '; '.join(notes)
    return meta


def downstream_name(pretrain_config: str, downstream_config: str) -> str:
    """mmpretrain's naming of a downstream entry: ``<pretraining>-pre_<downstream config>``."""
    return f'{pretrain_config}-pre_{downstream_config}'


def update_method_folders(table: dict, render: Callable, repo_root: str = '.') -> List[str]:
    """README and metafile of every row with a ``folder``; returns one message per file.

    ``render(row, base)`` gives the README body (table and footnote) of one row, log paths
    shown relative to ``base`` (the repository root). In the metafile the pretraining entry
    gets ``Results: null`` and ``Downstream:`` (the names below, after those it had); each
    downstream run with results gets its own entry ``<pretraining>-pre_<downstream config>``
    with its Metadata, Results and Config (``configs/**/<dumped config name>.py``).
    """
    messages = []
    for row in table['rows']:
        if not row.get('folder'):
            continue
        folder = osp.join(repo_root, row['folder'])
        readme, metafile = osp.join(folder, 'README.md'), osp.join(folder, 'metafile.yml')
        if osp.isfile(readme):
            changed = update_readme(readme, render(row, repo_root))
            messages.append(f"{readme}: {'updated' if changed else 'unchanged'}")
        if not osp.isfile(metafile):
            continue
        if not row.get('config'):
            messages.append(f'{metafile}: skipped, no pretraining run to name the entry')
            continue
        pre = row['config']
        with open(metafile) as f:
            models = (yaml.safe_load(f) or {}).get('Models') or []
        old = next((m for m in models if m.get('Name') == pre), None)
        down = []
        for d in row.get('downstream', []):
            if not d.get('results'):
                continue
            if not d.get('config'):
                messages.append(f"{metafile}: {d['group']} of {pre} skipped, its work_dir has "
                                'no dumped config to name the entry')
                continue
            down.append((downstream_name(pre, d['config']), d))
        names = list((old or {}).get('Downstream') or [])
        names += [n for n, _ in down if n not in names]
        own_config = osp.join(row['folder'], pre + '.py')
        ran = run_metadata(row.get('facts'), osp.join(repo_root, own_config))
        # an existing entry keeps its own Metadata but takes the run's schedule and batch
        meta = {k: v for k, v in ((old or {}).get('Metadata') or {}).items() if k != 'Schedule'}
        meta.update({k: ran[k] for k in ('Epochs', 'Batch Size', 'Schedule') if k in ran})
        update = {'Results': None, **({'Downstream': names} if names else {})}
        if meta != ((old or {}).get('Metadata') or {}):
            update = {'Metadata': meta, **update}
        changed = edit_metafile(
            metafile, pre, update,
            {'Metadata': ran, 'Results': None, 'Config': own_config,
             **({'Downstream': names} if names else {})})
        for name, d in down:
            config = find_config(d['config'], repo_root)
            if config is None:
                messages.append(f"{metafile}: {name}: no configs/**/{d['config']}.py, "
                                'entry written without Config')
            meta = run_metadata(d.get('facts'), osp.join(repo_root, config) if config else None)
            if table.get('seeds'):
                meta['Seeds'] = table['seeds']
                meta['Results Of'] = ('the mean over the seeds (tools/run_main.py --seeds); '
                                      'the logs stay in the work_dir of each run')
            fields = {'Metadata': meta, 'Results': d['results'],
                      **({'Config': config} if config else {})}
            changed |= edit_metafile(metafile, name, fields, fields, after=pre)
        messages.append(f"{metafile}: {'updated' if changed else 'unchanged'}")
    return messages
