"""Fixes that the pinned stack (torch 2.14 + mmengine 0.10.7) needs, applied on import.

torch >= 2.6 loads checkpoints with ``weights_only=True`` by default, and mmengine 0.10.7
stores a few non-tensor objects in every checkpoint it writes: the message hub's
``HistoryBuffer`` objects, whose logs are numpy arrays and numpy scalars. Resuming then fails
with ``UnpicklingError: Weights only load failed``. Instead of turning ``weights_only`` off
(which would let a checkpoint run arbitrary code), we allow-list exactly these globals.

One more object would need ``builtins.getattr``, which must never be allow-listed (with it a
checkpoint can reach any attribute of any allowed class): ``HistoryBuffer.__getstate__`` adds
its class-level table of statistics methods (``{'min': HistoryBuffer.min, ...}``), pickled as
``getattr(HistoryBuffer, 'min')``. That table is rebuilt on import (the defaults by
``_set_default_statistics``, custom ones by ``register_statistics`` decorators), and
``__setstate__`` already accepts a state without it, so we leave it out of the state.
Checkpoints written by mmengine without this package still carry it and load only with
``weights_only=False`` (from a trusted source).
"""
import numpy as np
import torch
from mmengine.logging import HistoryBuffer

try:  # numpy >= 1.25 names the dtype classes; older numpy pickles dtypes without them
    from numpy import dtypes as _np_dtypes
except ImportError:  # pragma: no cover - numpy < 1.25
    _np_dtypes = None


def mmengine_checkpoint_globals() -> list:
    """The globals mmengine 0.10.7 pickles into a checkpoint besides tensors and containers."""
    globals_ = [
        HistoryBuffer,
        np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
        np.ndarray,
        np.dtype,
    ]
    if _np_dtypes is not None:
        # the dtypes of HistoryBuffer logs (float64 losses, int64 counters, float32 stats)
        globals_ += [_np_dtypes.Float64DType, _np_dtypes.Float32DType, _np_dtypes.Int64DType]
    return globals_


def _history_buffer_state(self) -> dict:
    """``HistoryBuffer`` state without the class-level statistics-method table."""
    state = self.__dict__.copy()
    state.pop('statistics_methods', None)
    return state


def allow_mmengine_checkpoints() -> None:
    """Let ``torch.load(weights_only=True)`` read the checkpoints mmengine writes."""
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
    HistoryBuffer.__getstate__ = _history_buffer_state


allow_mmengine_checkpoints()
