"""The shell commands the READMEs show: fenced shell blocks and command-like inline code spans.

``collect(root)`` reads ``README.md`` and every ``configs/**/README.md`` and returns one
:class:`Command` per command: each line of a ```` ```shell ```` / ```` ```bash ```` /
```` ```sh ```` block (``\\`` continuations joined, ``#`` comments stripped, blank lines
dropped), and each inline code span of the text and tables that begins with one of
:data:`INLINE_STARTS`.
"""
import glob
import os.path as osp
import re
from typing import List, NamedTuple

SHELL_FENCES = ('shell', 'bash', 'sh')
INLINE_STARTS = ('make ', '.venv/bin/python ', 'bash ', 'tools/', 'python ', 'GPUS=', 'WORK_DIR=', 'PYTHONPATH=',
                 'srun', 'mim ')
#: a span that sets environment variables for a command (``VAR=value bash tools/...``)
ENV_PREFIXED = re.compile(r'^([A-Z][A-Z0-9_]*=\S+ )+(bash |\.venv/bin/python |python |tools/)')
FENCE = re.compile(r'^\s*```+\s*([\w+-]*)')
INLINE = re.compile(r'(?<!`)`([^`]+)`(?!`)')


class Command(NamedTuple):
    text: str       # the command, continuations joined, comment stripped
    path: str       # the README, relative to the repository root
    line: int       # 1-based line where the command starts
    kind: str       # 'fenced' or 'inline'

    def where(self) -> str:
        return f'{self.path}:{self.line}'


def readme_paths(root: str) -> List[str]:
    paths = [osp.join(root, 'README.md')]
    paths += sorted(glob.glob(osp.join(root, 'configs', '**', 'README.md'), recursive=True))
    paths += sorted(glob.glob(osp.join(root, 'tools', '**', 'README.md'), recursive=True))
    paths += sorted(glob.glob(osp.join(root, 'docs', '**', '*.md'), recursive=True))
    return [p for p in paths if osp.isfile(p)]


def strip_comment(line: str) -> str:
    """``line`` without a shell comment (a ``#`` at the start or after a blank, unquoted)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in '\'"':
            quote = ch
        elif ch == '#' and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def _fenced(lines, path):
    commands, pending, start = [], '', 0
    for number, raw in lines:
        text = strip_comment(raw).strip()
        if not pending:
            start = number
        if text.endswith('\\'):
            pending += text[:-1].strip() + ' '
            continue
        text = (pending + text).strip()
        pending = ''
        if text:
            commands.append(Command(re.sub(r'\s+', ' ', text), path, start, 'fenced'))
    if pending.strip():
        commands.append(Command(re.sub(r'\s+', ' ', pending.strip()), path, start, 'fenced'))
    return commands


def _inline(paragraph, path):
    """Command-like code spans of one paragraph (a span may run over a line break)."""
    if not paragraph:
        return []
    first = paragraph[0][0]
    text = '\n'.join(line for _, line in paragraph)
    commands = []
    for match in INLINE.finditer(text):
        span = re.sub(r'\s+', ' ', match.group(1)).strip()
        if span.startswith(INLINE_STARTS) or ENV_PREFIXED.match(span):
            line = first + text.count('\n', 0, match.start())
            commands.append(Command(span, path, line, 'inline'))
    return commands


def collect_file(path: str, root: str) -> List[Command]:
    rel = osp.relpath(path, root)
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    commands, block, fence_lang, paragraph = [], None, None, []
    for number, line in enumerate(lines, 1):
        match = FENCE.match(line)
        if match and block is None:
            commands += _inline(paragraph, rel)
            paragraph = []
            block, fence_lang = [], match.group(1).lower()
            continue
        if match and block is not None and not match.group(1):
            if fence_lang in SHELL_FENCES:
                commands += _fenced(block, rel)
            block = None
            continue
        if block is not None:
            block.append((number, line))
        elif line.strip():
            paragraph.append((number, line))
        else:
            commands += _inline(paragraph, rel)
            paragraph = []
    if block is not None:
        raise ValueError(f'{rel}: a ``` block opened and never closed')
    commands += _inline(paragraph, rel)
    return sorted(commands, key=lambda c: c.line)


def collect(root: str) -> List[Command]:
    commands = []
    for path in readme_paths(root):
        commands += collect_file(path, root)
    return commands


if __name__ == '__main__':
    import sys
    for command in collect(sys.argv[1] if len(sys.argv) > 1 else '.'):
        print(f'{command.where():55s} {command.kind:6s} {command.text}')
