"""How tools/run_main.py runs a ``python SCRIPT.py ...`` step in a fork of itself.

The parent imports torch and the OpenMMLab packages once (:func:`preload`); each step is then a
multiprocessing ``fork`` child that runs the script with ``runpy``, its output in a pipe, so
that it starts without the 4-8 s of imports a new interpreter pays. :func:`choose_launch`
decides when that is safe (Linux, no GPU visible).
"""
import importlib
import importlib.util
import logging
import multiprocessing
import os
import os.path as osp
import runpy
import sys
import time

# imported once by this process before its first forked step (``--launch fork``)
PRELOAD = ('mls_mm', 'mmpretrain.datasets', 'mmpretrain.engine', 'mmpretrain.evaluation',
           'mmpretrain.models', 'mmpretrain.visualization', 'mmdet.datasets', 'mmdet.engine',
           'mmdet.evaluation', 'mmdet.models', 'mmdet.visualization', 'matplotlib.pyplot')


def forkable(command, env) -> bool:
    """``python SCRIPT.py ...`` with this interpreter and no environment of its own."""
    return (not env and len(command) > 1 and command[0] == sys.executable
            and command[1].endswith('.py'))


def gpu_visible() -> bool:
    """Whether torch sees a GPU, asked through NVML, which initialises no CUDA context."""
    import torch
    before = os.environ.get('PYTORCH_NVML_BASED_CUDA_CHECK')
    os.environ['PYTORCH_NVML_BASED_CUDA_CHECK'] = '1'  # for this check only, not for the steps
    try:
        return torch.cuda.is_available()
    finally:
        if before is None:
            del os.environ['PYTORCH_NVML_BASED_CUDA_CHECK']
        else:
            os.environ['PYTORCH_NVML_BASED_CUDA_CHECK'] = before


def choose_launch(requested: str) -> str:
    """``auto``: fork on Linux when torch sees no GPU, else subprocess. CUDA cannot be used in
    a fork of a process that has initialised it, and mmengine / mmcv ask
    ``torch.cuda.is_available()`` on import, so the GPU check uses NVML (which initialises
    nothing), and ``fork`` is refused when a GPU is visible."""
    if requested == 'subprocess':
        return requested
    if not hasattr(os, 'fork') or sys.platform != 'linux':
        if requested == 'fork':
            raise SystemExit(f'--launch fork needs Linux (os.fork); this is {sys.platform}: '
                             'use --launch subprocess')
        return 'subprocess'
    if gpu_visible():
        if requested == 'fork':
            raise SystemExit('--launch fork: torch sees a GPU, and CUDA cannot be used in a fork '
                             'of a process whose imports touched it: use --launch subprocess '
                             '(or auto)')
        return 'subprocess'
    return 'fork'


def preload():
    """Import what the forked steps import, once, in this process; an optional package that is
    not installed (mmdet: the ``det`` extra) is left to the step that needs it. No thread pool
    starts: torch's intra-op threads begin at the first parallel op, which only the children
    run."""
    for module in PRELOAD:
        if importlib.util.find_spec(module.split('.')[0]) is not None:
            importlib.import_module(module)


def _run_script(command, write_end, cwd, threads=None):
    """The forked child: ``python SCRIPT ARGS`` with stdout / stderr into ``write_end``, with
    ``threads`` torch threads (None: the parent's setting), as ``OMP_NUM_THREADS`` gives a new
    interpreter.
    multiprocessing's bootstrap ends it much as an interpreter ends: a ``SystemExit`` gives its
    code (a message: printed, exit 1), an exception its traceback (after a ``Process ...:``
    line) and exit 1; daemonic children (the dataloaders' workers) are terminated, non-daemonic
    threads joined, logging flushed, and it never returns into the parent's code. What differs
    from a new interpreter: ``atexit`` handlers do not run, and stdin is ``/dev/null``."""
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)
    sys.stdout = open(1, 'w', buffering=1, closefd=False)
    sys.stderr = open(2, 'w', buffering=1, closefd=False)
    os.chdir(cwd)
    if threads is not None:
        import torch
        torch.set_num_threads(threads)
        os.environ['OMP_NUM_THREADS'] = str(threads)  # for the processes the script starts
    sys.argv = list(command[1:])
    sys.path[0] = osp.dirname(osp.abspath(command[1]))
    try:
        runpy.run_path(command[1], run_name='__main__')
    finally:
        logging.shutdown()


def fork_script(command, cwd, threads=None):
    """Start ``python SCRIPT ARGS`` in a fork of this process (multiprocessing's ``fork``
    context): a separate process, as with ``subprocess``, that starts with the parent's
    imports done. Returns (its merged stdout / stderr as a text stream, the process)."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    child = multiprocessing.get_context('fork').Process(
        target=_run_script, args=(command, write_end, cwd, threads), name=osp.basename(command[1]))
    child.start()
    os.close(write_end)
    return os.fdopen(read_end, errors='replace'), child


def wait_forked(child) -> int:
    """The exit status as ``subprocess`` gives it (-N: killed by signal N). Another step's
    ``Process.start`` may reap this child first (multiprocessing's ``_cleanup``), which leaves
    the status on the process object a moment later: it is waited for."""
    child.join()
    for _ in range(1000):
        if child.exitcode is not None:
            break
        time.sleep(0.01)
        child.join()
    return child.exitcode
