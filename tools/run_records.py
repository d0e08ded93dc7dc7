"""The records by which tools/run_main.py reuses a run: what made it, and from which inputs.

A run's work_dir (relative to the repository ``root``) holds, once its command succeeded,
``run_main.json`` (the command, :func:`input_digest` of its inputs, the torch threads it ran
with, its wall time summed over invocations) and ``.done``; while it is interrupted,
``run_main.partial.json`` with the same fields so far. A finished run is reused, and an
interrupted one resumed, only for the same command, threads and inputs: otherwise these
functions stop the job, naming the run.
"""
import ast
import hashlib
import json
import os
import os.path as osp
from importlib.metadata import version

RECORD = 'run_main.json'  # a finished run: command, inputs, wall time
PARTIAL = 'run_main.partial.json'  # wall time so far of a run not finished yet
DONE = '.done'


def config_files(path: str) -> list:
    """``path`` and, recursively, the ``_base_`` files it inherits (read from the file's
    syntax, not executed); a package's base (``mmdet::...``) by its name."""
    files = [path]
    with open(path) as f:
        tree = ast.parse(f.read(), filename=path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                raise ValueError(f'{path}: _base_ is not a literal string or list, so the '
                                 'files it inherits cannot be read') from None
            for base in [bases] if isinstance(bases, str) else bases:
                files += [base] if '::' in base else \
                    config_files(osp.normpath(osp.join(osp.dirname(path), base)))
    return files


def _sha256(digest, path):
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)


def input_digest(root: str, command: list, work_dir=None) -> dict:
    """{input: sha256} for what the command reads besides its options: each ``configs/`` file
    it names, with every file it inherits (a package's base: its name and the package's
    version), and each ``.pth`` file it names outside its own ``work_dir`` (a pretraining
    checkpoint, a converted backbone; what it writes there is its output). A run is reused
    only under the inputs that made it, so a redone pretraining invalidates its probe and
    transfer."""
    digests = {}
    own = osp.join(osp.realpath(osp.join(root, work_dir)), '') if work_dir else None
    for argument in command[2:]:
        value = argument.split('=', 1)[-1]
        path = value if osp.isabs(value) else osp.join(root, value)
        if not osp.isfile(path) or (own and osp.realpath(path).startswith(own)):
            continue
        digest = hashlib.sha256()
        if value.startswith('configs/') and value.endswith('.py'):
            for file in config_files(path):
                if '::' in file:
                    digest.update(f'{file}@{version(file.split("::")[0])}'.encode())
                else:
                    digest.update(osp.relpath(file, root).encode())
                    _sha256(digest, file)
        elif value.endswith('.pth'):
            _sha256(digest, path)
        else:
            continue
        digests[value] = digest.hexdigest()
    return digests


def _changed_inputs(record, inputs) -> list:
    return [name for name, digest in inputs.items() if record['inputs'].get(name) != digest]


def _refuse(work_dir, why):
    raise RuntimeError(f'{work_dir} {why}: move it away, or use another --root')


def _check_threads(work_dir, record, threads, what):
    """``record`` was made with ``threads`` torch threads per step (None: torch's default)."""
    if record.get('threads') != threads:
        made = record.get('threads')
        made = (f'{made} torch thread(s) (--threads {made})' if made else
                "torch's default threads (an older mls_mm)")
        asked = f'{threads} torch thread(s)' if threads else "torch's default threads"
        _refuse(work_dir, f'{what} made with {made} per step, this job asks for {asked} '
                '(other digits)')


def check_same_command(root: str, work_dir: str, command: list, threads=None) -> None:
    """A finished run is reused only for the command that made it (seed, data, options,
    config; ``command`` with its checkpoints resolved), with the same torch ``threads`` (None:
    torch's default) and under the same inputs (:func:`input_digest`: config files by
    content, the checkpoints it reads); anything else stops, naming the run, so that no table
    mixes two settings."""
    record = osp.join(root, work_dir, RECORD)
    if not osp.isfile(record):
        _refuse(work_dir, f'is marked done but has no {RECORD} (made by an older mls_mm)')
    with open(record) as f:
        record = json.load(f)
    before = record['command']
    if before[1:] != command[1:]:  # [0] is the interpreter, which may move
        changed = [a for a in command[1:] if a not in before] + \
            [f'(was) {a}' for a in before[1:] if a not in command]
        _refuse(work_dir, f'was made by another command ({" ".join(changed)})')
    _check_threads(work_dir, record, threads, 'was')
    if 'inputs' not in record:
        _refuse(work_dir, f'has no digest of its inputs in its {RECORD} (made by an older '
                'mls_mm)')
    changed = _changed_inputs(record, input_digest(root, command, work_dir))
    if changed:
        _refuse(work_dir, f'was made from other contents of {", ".join(changed)} (for a '
                'config: of it or of a file it inherits)')


def read_partial(root: str, work_dir, command: list, inputs=None, threads=None) -> tuple:
    """(seconds, invocations) that earlier, interrupted invocations of the same command took.
    An interrupted run of another command, or (when ``inputs`` is given, as run_main always
    does) from other inputs or with no record of them, stops the step, as a finished one does:
    ``--resume`` would go on from its checkpoint under other settings."""
    path = osp.join(root, work_dir, PARTIAL) if work_dir is not None else None
    if path is None or not osp.isfile(path):
        return 0.0, 0
    with open(path) as f:
        record = json.load(f)
    if record.get('command', [None])[1:] != command[1:]:
        _refuse(work_dir, 'holds an interrupted run of another command '
                f'({" ".join(record.get("command", [])[1:])})')
    _check_threads(work_dir, record, threads, 'holds an interrupted run')
    if inputs is not None:
        changed = list(inputs) if 'inputs' not in record else _changed_inputs(record, inputs)
        if changed:
            _refuse(work_dir, f'holds an interrupted run made from other contents of '
                    f'{", ".join(changed)} (or with no record of them)')
    return float(record['wall_s']), int(record['invocations'])


def write_record(root: str, work_dir: str, name: str, **record) -> None:
    """Write ``record`` as JSON to ``work_dir/name``, atomically (a stopped job leaves the
    previous record or the new one, never half of one)."""
    path = osp.join(root, work_dir, name)
    with open(path + '.tmp', 'w') as f:
        json.dump(record, f)
    os.replace(path + '.tmp', path)


def mark_done(root: str, work_dir: str, **record) -> None:
    """The run's final record, then ``.done``; the partial record goes."""
    write_record(root, work_dir, RECORD, **record)
    if osp.exists(osp.join(root, work_dir, PARTIAL)):
        os.remove(osp.join(root, work_dir, PARTIAL))
    open(osp.join(root, work_dir, DONE), 'w').close()
