"""The repository stands on its own: every relative markdown link of the documentation
resolves to a file or folder tracked by git, and no tracked file points into a sibling
`shared/` folder (which a clone does not have)."""
import fnmatch
import os.path as osp
import posixpath
import re
import subprocess

import pytest

DOCS = ('README.md', 'configs/**/*.md', 'docs/**/*.md', 'tools/**/*.md')
LINK = re.compile(r'(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
FORBIDDEN = ('shared' + '/docs', '../' + 'shared/')  # split: this file must not match itself


@pytest.fixture(scope='module')
def tracked(repo_root):
    try:
        out = subprocess.run(['git', 'ls-files', '-z'], cwd=repo_root, check=True,
                             capture_output=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip('not a git checkout')
    files = {f for f in out.split('\0') if f}
    dirs = {posixpath.dirname(f) for f in files}
    while any(d and posixpath.dirname(d) not in dirs for d in dirs):
        dirs |= {posixpath.dirname(d) for d in dirs}
    return files, dirs | {''}


def _doc(path: str) -> bool:
    return any(fnmatch.fnmatch(path, p) or
               ('/**/' in p and fnmatch.fnmatch(path, p.replace('/**/', '/')))
               for p in DOCS)


def _strip_code(text: str) -> str:
    """The text without fenced blocks and code spans (no links are meant there)."""
    text = re.sub(r'^(```|~~~).*?^\1[^\n]*$', '', text, flags=re.S | re.M)
    return re.sub(r'`[^`\n]*`', '', text)


def test_relative_markdown_links_resolve(tracked, repo_root):
    files, dirs = tracked
    docs = sorted(f for f in files if f.endswith('.md') and _doc(f))
    assert 'README.md' in docs and any(d.startswith('configs/') for d in docs)
    broken = []
    for doc in docs:
        with open(osp.join(repo_root, doc), errors='replace') as f:
            text = _strip_code(f.read())
        for target in LINK.findall(text):
            if re.match(r'^[a-z][a-z0-9+.-]*:', target, re.I) or target.startswith('#'):
                continue  # http(s), mailto, ... and anchors in the same file
            path = target.split('#', 1)[0].split('?', 1)[0]
            if not path:
                continue
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(doc), path)) \
                if not path.startswith('/') else path.lstrip('/')
            if resolved.startswith('..') or (resolved not in files and resolved not in dirs):
                broken.append(f'{doc}: ({target}) -> {resolved}')
    assert not broken, 'links to nothing tracked by git:\n' + '\n'.join(broken)


def test_no_tracked_file_points_into_shared(tracked, repo_root):
    files, _ = tracked
    me = osp.relpath(osp.abspath(__file__), repo_root).replace(osp.sep, '/')
    hits = []
    for rel in sorted(files):
        path = osp.join(repo_root, rel)
        if rel == me or not osp.isfile(path):
            continue
        with open(path, 'rb') as f:
            data = f.read()
        for s in FORBIDDEN:
            if s.encode() in data:
                hits.append(f'{rel}: {s}')
    assert not hits, 'files pointing into shared/:\n' + '\n'.join(hits)
