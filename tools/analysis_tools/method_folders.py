"""Write measured results into a method folder's README.md and metafile.yml, touching nothing else.

README: the table goes between ``<!-- results:begin -->`` and ``<!-- results:end -->``. When
the markers are missing they are created once, at the end of the ``## Results`` section
(before its next ``## `` heading or its first fenced code block, e.g. the BibTeX), or in a new
``## Results`` section at the end; later runs replace only what lies between them, so the rest
of the file stays byte-identical.

metafile.yml: **careful text editing** (not a safe_load/safe_dump round trip, which would lose
the comments and the layout). The ``Results:`` block of the model entry whose ``Name`` is the
pretraining config's name is replaced by its old entries minus those with the same (Task,
Dataset) as ours, plus ours (rendered by a ``yaml.SafeDumper``; comments inside that one block
are lost); an absent entry is appended to ``Models``. The edited file is parsed again with
``yaml.safe_load`` and compared with the intended content before it is written.
"""
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


def update_metafile(path: str, name: str, results: List[dict],
                    metadata: Optional[dict] = None, config: Optional[str] = None) -> bool:
    """Add or replace ``results`` (``Task``, ``Dataset``, ``Metrics``) of model ``name``."""
    with open(path) as f:
        text = f.read()
    data = yaml.safe_load(text) or {}
    models = data.get('Models') or []
    entry = next((m for m in models if m.get('Name') == name), None)
    ours = {(r['Task'], r['Dataset']) for r in results}
    kept = [r for r in ((entry or {}).get('Results') or [])
            if (r.get('Task'), r.get('Dataset')) not in ours]
    merged = kept + list(results)
    dumped = _dump(merged) if merged else None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith('\n'):
        lines[-1] += '\n'
    if entry is not None:
        pat = re.compile(rf'^(\s*)- Name:\s*["\']?{re.escape(name)}["\']?\s*(#.*)?$')
        start = next(i for i, ln in enumerate(lines) if pat.match(ln.rstrip('\n')))
        item = len(pat.match(lines[start].rstrip('\n')).group(1))
        end, field = _block_end(lines, start, item, False), item + 2
        res = next((i for i in range(start + 1, end)
                    if re.match(rf'^ {{{field}}}Results:', lines[i])), None)
        new_block = ' ' * field + ('Results:\n' + _indent(dumped, field + 2) if dumped
                                   else 'Results: null\n')
        if res is not None:
            lines[res:_block_end(lines, res, field, True)] = [new_block]
        else:
            at = next((i for i in range(start + 1, end)
                       if re.match(rf'^ {{{field}}}Config:', lines[i])), end)
            lines[at:at] = [new_block]
        entry['Results'] = merged or None
    else:
        collection = ((data.get('Collections') or [{}])[0] or {}).get('Name')
        entry = {'Name': name, **({'In Collection': collection} if collection else {}),
                 'Metadata': metadata or {}, 'Results': merged or None,
                 **({'Config': config} if config else {})}
        new = _indent(_dump([entry]), 2)
        top = next((i for i, ln in enumerate(lines) if ln.startswith('Models:')), None)
        if top is None:
            lines += ['\nModels:\n', new]
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
        raise ValueError(f'editing {path} for {name} would change more than its Results; '
                         'file left as it was')
    if new_text != text:
        with open(path, 'w') as f:
            f.write(new_text)
    return new_text != text


def update_method_folders(table: dict, render: Callable, repo_root: str = '.') -> List[str]:
    """README and metafile of every row with a ``folder``; returns one message per file.

    ``render(row, link_base)`` gives the README body (table and footnote) of one row.
    """
    messages = []
    for row in table['rows']:
        if not row.get('folder'):
            continue
        folder = osp.join(repo_root, row['folder'])
        readme, metafile = osp.join(folder, 'README.md'), osp.join(folder, 'metafile.yml')
        if osp.isfile(readme):
            changed = update_readme(readme, render(row, folder))
            messages.append(f"{readme}: {'updated' if changed else 'unchanged'}")
        if not osp.isfile(metafile):
            continue
        if not row.get('config'):
            messages.append(f'{metafile}: skipped, no pretraining run to name the entry')
            continue
        facts = row.get('facts', {})
        meta = {k: v for k, v in (('Epochs', facts.get('max_epochs')),
                                  ('Batch Size', (facts.get('batch_size') or 0) *
                                   (facts.get('world_size') or 0) or None),
                                  ('Training Data', facts.get('data_root'))) if v}
        config = osp.join(row['folder'], row['config'] + '.py')
        changed = update_metafile(metafile, row['config'], row['results'], meta, config)
        messages.append(f"{metafile}: {'updated' if changed else 'unchanged'}")
    return messages
