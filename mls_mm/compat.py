"""Checkpoint safety and compatibility fixes for torch >= 2.0 + mmengine 0.10, applied on import.

**Safe globals** (torch >= 2.4, feature-tested with ``hasattr``): mmengine 0.10 stores a few
non-tensor objects in every checkpoint it writes: the message hub's ``HistoryBuffer`` objects,
whose logs are numpy arrays and numpy scalars. ``torch.load(weights_only=True)`` refuses them
(``UnpicklingError: Weights only load failed``), so we allow-list exactly these globals instead
of turning ``weights_only`` off (which would let a checkpoint run arbitrary code). numpy 1
pickles its arrays as ``numpy.core.multiarray._reconstruct``, numpy 2.1+ as
``numpy._core.multiarray._reconstruct``: the functions are allow-listed under the name this
numpy writes and, where torch accepts ``(global, name)`` entries (>= 2.6), under both names.

**Explicit** ``weights_only=True`` (torch >= 2.4): torch 2.4 and 2.5 still default to
``weights_only=False``, so every checkpoint read through mmengine's ``CheckpointLoader`` (local
paths; ``Runner.resume`` / ``load_from``, ``mmengine.runner.load_checkpoint``, ``Pretrained``
init, :mod:`mls_mm.transfer`) and through its ``load_url`` (``http(s)://``, ``torchvision://``,
``open-mmlab://`` and ``mmcls://`` URLs) passes ``weights_only=True`` itself. Not covered: the
``pavi://`` and ``s3://`` loaders and ``open-mmlab://`` names mapped to local files, which call
``torch.load`` with the torch default. A refused file raises ``pickle.UnpicklingError`` naming
the file and the fix.

**torch < 2.4** (no ``add_safe_globals``): mmengine's loaders are kept (they load with
``weights_only=False``, the torch 2.0-2.3 default); the first checkpoint read logs a warning
that checkpoints must come from trusted sources.

**HistoryBuffer state**: ``HistoryBuffer.__getstate__`` adds the class-level table of
statistics methods (``{'min': HistoryBuffer.min, ...}``, pickled through ``builtins.getattr``,
which must never be allow-listed) and ``__setstate__`` merges a checkpoint's table into the
class-wide one, so a crafted checkpoint could replace the logger's statistics. Both are
replaced: the table is neither saved nor loaded (it is rebuilt on import by
``_set_default_statistics`` and the ``register_statistics`` decorators). Checkpoints written
by mmengine without this package still carry the table and load only with
``weights_only=False`` (from a trusted source).
"""
import importlib
import inspect
import os.path as osp
import pickle
import re
from typing import Mapping

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner import checkpoint as mm_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

try:  # numpy >= 1.25 names the dtype classes; older numpy pickles dtypes without them
    from numpy import dtypes as _np_dtypes
except ImportError:  # pragma: no cover - numpy < 1.25
    _np_dtypes = None


def _torch_version() -> tuple:
    match = re.match(r'(\d+)\.(\d+)', str(torch.__version__))
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


#: torch >= 2.4: ``torch.serialization.add_safe_globals`` exists
SAFE_GLOBALS = hasattr(torch.serialization, 'add_safe_globals')
#: torch >= 2.6: allow-list entries may be ``(global, 'module.name')`` pairs
SAFE_GLOBAL_ALIASES = SAFE_GLOBALS and _torch_version() >= (2, 6)
#: the two names numpy's multiarray module is pickled under (numpy 2.1+, numpy 1)
MULTIARRAY_PATHS = ('numpy._core.multiarray', 'numpy.core.multiarray')
#: ``HistoryBuffer`` state keys that must not come from a checkpoint
DROPPED_HISTORY_KEYS = ('statistics_methods', '_statistics_methods')

TRUST_FIX = ('mls_mm loads checkpoints with weights_only=True (mls_mm/compat.py). If the file '
             'comes from a source you trust, re-save its weights as a plain dict: python -c '
             '"import torch; c = torch.load(\'IN\', weights_only=False); '
             'torch.save({\'state_dict\': c[\'state_dict\']}, \'OUT\')", '
             'or allow-list the class named above with torch.serialization.add_safe_globals')


def _numpy_multiarray():
    """numpy's multiarray module under its own name (numpy 2: ``numpy._core``), so that numpy
    2's deprecation warning for ``numpy.core`` is not triggered."""
    major = int(np.__version__.split('.')[0])
    return importlib.import_module(MULTIARRAY_PATHS[0] if major >= 2 else MULTIARRAY_PATHS[1])


def mmengine_checkpoint_globals() -> list:
    """The globals mmengine 0.10 pickles into a checkpoint besides tensors and containers."""
    multiarray = _numpy_multiarray()
    globals_ = [HistoryBuffer, multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype]
    if _np_dtypes is not None:
        # the dtypes of HistoryBuffer logs (float64 losses, int64 counters, float32 stats)
        globals_ += [_np_dtypes.Float64DType, _np_dtypes.Float32DType, _np_dtypes.Int64DType]
    if SAFE_GLOBAL_ALIASES:  # checkpoints written under the other numpy major version
        for function in (multiarray._reconstruct, multiarray.scalar):
            globals_ += [(function, f'{path}.{function.__name__}') for path in MULTIARRAY_PATHS]
    return globals_


def _history_buffer_getstate(self) -> dict:
    """``HistoryBuffer`` state without the class-level statistics-method table."""
    state = self.__dict__.copy()
    for key in DROPPED_HISTORY_KEYS:
        state.pop(key, None)
    return state


def _history_buffer_setstate(self, state) -> None:
    """Restore a ``HistoryBuffer``, ignoring any statistics-method table in ``state``.

    mmengine's version merges ``state['statistics_methods']`` into the class-wide table; an
    instance-level ``_statistics_methods`` would shadow it for this buffer. Both are dropped.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f'HistoryBuffer state must be a dict, got {type(state).__name__}')
    self._set_default_statistics()
    self.__dict__.update({k: v for k, v in state.items() if k not in DROPPED_HISTORY_KEYS})


def _refused(source, exc: Exception) -> pickle.UnpicklingError:
    return pickle.UnpicklingError(f'{source}: refused by torch.load(weights_only=True): {exc}\n'
                                  f'{TRUST_FIX}')


def load_from_local_safe(filename, map_location=None):
    """mmengine's ``load_from_local`` with ``weights_only=True`` passed explicitly."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise _refused(filename, exc) from exc


def load_url_safe(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                  file_name=None):
    """mmengine's ``load_url`` (``torch.hub.load_state_dict_from_url``) with
    ``weights_only=True`` passed explicitly."""
    try:
        return torch.hub.load_state_dict_from_url(
            url, model_dir=model_dir, map_location=map_location, progress=progress,
            check_hash=check_hash, file_name=file_name, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise _refused(url, exc) from exc


_warned = []


def _warn_unsafe_once() -> None:
    if not _warned:
        _warned.append(True)
        print_log(f'torch {torch.__version__} has no torch.serialization.add_safe_globals '
                  '(torch < 2.4): checkpoints are loaded with weights_only=False, which runs '
                  'any code a checkpoint contains; load checkpoints from trusted sources only '
                  '(torch >= 2.4 lets mls_mm load them with weights_only=True)',
                  logger='current', level=30)


def load_from_local_trusted(filename, map_location=None):
    """mmengine's ``load_from_local`` (torch default ``weights_only``), warning once."""
    _warn_unsafe_once()
    return mm_checkpoint.load_from_local(filename, map_location)


def allow_mmengine_checkpoints() -> None:
    """Make every checkpoint read of ours safe where torch allows it (see the module doc)."""
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    HistoryBuffer.__setstate__ = _history_buffer_setstate
    if not SAFE_GLOBALS:
        CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_trusted,
                                         force=True)
        return
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_safe, force=True)
    hub_params = inspect.signature(torch.hub.load_state_dict_from_url).parameters
    if 'weights_only' in hub_params:
        mm_checkpoint.load_url = load_url_safe


allow_mmengine_checkpoints()
