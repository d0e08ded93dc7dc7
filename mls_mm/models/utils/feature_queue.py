"""A FIFO dictionary of key features, gathered across processes before each write."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather
from mmengine.model import BaseModule

EMPTY = -1.0


class FeatureQueue(BaseModule):
    """Ring buffer holding the last ``length`` rows of ``dim`` features, as MoCo's queue.

    Buffers (persistent, so they are saved and restored with the model):

    - ``feats`` (length, dim): the dictionary. ``init='randn'`` fills it with L2-normalised
      Gaussian rows (MoCo); ``init='empty'`` with ``-1`` (e.g. a label queue, where ``-1``
      marks a row that no key has filled yet).
    - ``ptr`` (1,) long: the next row to overwrite.

    Several queues can share one pointer (``pointer=other.ptr``) so that row i of each holds
    the same key. Writing and advancing are then separate steps: :meth:`write` every queue,
    then :meth:`advance` the shared pointer once (:meth:`enqueue` does both for one queue).
    Every write first gathers the keys of all processes (``mmengine.dist.all_gather``, a
    no-op in one process), in rank order, so all ranks hold identical dictionaries.

    Args:
        length (int): Number of rows D. Must be a multiple of the global batch size.
        dim (int): Feature size of a row.
        init (str): ``'randn'`` or ``'empty'``. Defaults to ``'randn'``.
        pointer (Tensor, optional): A (1,) long buffer of another queue to share.
            Defaults to None (own pointer).
    """

    def __init__(self, length: int, dim: int, init: str = 'randn',
                 pointer: Optional[torch.Tensor] = None):
        super().__init__()
        if length < 1 or dim < 1:
            raise ValueError(f'FeatureQueue needs length >= 1 and dim >= 1, got {length}, {dim}')
        if init == 'randn':
            feats = F.normalize(torch.randn(length, dim), dim=1)
        elif init == 'empty':
            feats = torch.full((length, dim), EMPTY)
        else:
            raise ValueError(f"FeatureQueue init must be 'randn' or 'empty', got {init!r}")
        self.length, self.dim = length, dim
        self.register_buffer('feats', feats)
        self.register_buffer('ptr', torch.zeros(1, dtype=torch.long) if pointer is None
                             else pointer)

    @torch.no_grad()
    def write(self, keys: torch.Tensor) -> int:
        """Gather ``keys`` (B, dim) from all processes and write them at the pointer.

        Returns:
            int: The number of rows written (the global batch size).
        """
        if keys.dim() != 2 or keys.shape[1] != self.dim:
            raise ValueError(f'keys of shape {tuple(keys.shape)} do not fit a queue of '
                             f'dim {self.dim}')
        keys = torch.cat(all_gather(keys.detach().contiguous()), dim=0)
        batch = keys.shape[0]
        if self.length % batch:
            raise ValueError(f'queue length {self.length} is not a multiple of the global '
                             f'batch size {batch}')
        ptr = int(self.ptr)
        self.feats[ptr:ptr + batch] = keys.to(self.feats.dtype)
        return batch

    @torch.no_grad()
    def advance(self, num_rows: int) -> None:
        """Move the (possibly shared) pointer on by ``num_rows``, wrapping at the end."""
        self.ptr[0] = (int(self.ptr) + num_rows) % self.length

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Write ``keys`` (B, dim) and advance this queue's pointer."""
        self.advance(self.write(keys))

    def filled_rows(self) -> torch.Tensor:
        """(length,) bool: rows that hold a written value (only meaningful for 'empty')."""
        return self.feats[:, 0] != EMPTY

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # mmengine resumes with strict=False, which only warns on a size mismatch and would
        # train on with a fresh random dictionary: refuse instead.
        for name, buf in (('feats', self.feats), ('ptr', self.ptr)):
            key = prefix + name
            if key in state_dict and state_dict[key].shape != buf.shape:
                raise ValueError(
                    f'checkpoint key {key} has shape {tuple(state_dict[key].shape)} but the '
                    f'model built from the config expects {tuple(buf.shape)} (dictionary size '
                    'or feature size differs between the checkpoint and the config)')
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
