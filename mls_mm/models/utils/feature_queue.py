"""A FIFO dictionary of key features with aligned fields, gathered across processes."""
from typing import Dict, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather
from mmengine.model import BaseModule

EMPTY = -1.0
INITS = ('randn', 'empty')


class FeatureQueue(BaseModule):
    """Ring buffer of the last ``length`` keys, one or more aligned fields per key (MoCo's queue).

    Every field is a persistent buffer of shape (length, dim) named after the field, and the
    queue owns ONE pointer, the persistent (1,) long buffer ``ptr`` (the next row to
    overwrite). :meth:`enqueue` writes every field of a batch in one call and advances that
    pointer once, so row i of every field always holds the same key. No tensor of this module
    is shared with another module, so a device move (``Module._apply``: ``.cuda()``,
    ``.to()``, mmengine's ``wrap_model``), which replaces each module's buffers, cannot split
    the pointer or the fields apart.

    MoCo-style single dictionaries pass ``dim`` and get one field named ``feats``; MLS passes
    ``fields=dict(g=d_g, z=d_z)`` (plus ``labels=C`` for its label monitor). Field ``init``:
    ``'randn'`` fills L2-normalised Gaussian rows (MoCo), ``'empty'`` fills ``-1`` (a row no key
    has filled yet, see :meth:`filled_rows`).

    Before a write the keys of all processes are gathered (``mmengine.dist.all_gather``, a
    no-op in one process) in rank order, so all ranks hold identical dictionaries.

    Args:
        length (int): Number of rows D. Must be a multiple of the global batch size.
        dim (int, optional): Feature size of the single field ``feats``. Give either ``dim`` or
            ``fields``.
        fields (dict[str, int], optional): Field name -> feature size, for aligned fields.
        init (str | dict[str, str]): ``'randn'`` or ``'empty'``, for every field or per field
            (fields not named default to ``'randn'``). Defaults to ``'randn'``.
    """

    def __init__(self, length: int, dim: Optional[int] = None,
                 fields: Optional[Dict[str, int]] = None,
                 init: Union[str, Dict[str, str]] = 'randn'):
        super().__init__()
        if (dim is None) == (fields is None):
            raise ValueError('FeatureQueue takes either dim (one field "feats") or fields '
                             f'(name -> dim), got dim={dim!r}, fields={fields!r}')
        fields = {'feats': dim} if fields is None else dict(fields)
        if isinstance(init, str):
            inits = {name: init for name in fields}
        else:
            unknown = sorted(set(init) - set(fields))
            if unknown:
                raise ValueError(f'FeatureQueue init names fields {unknown} that are not in '
                                 f'fields {sorted(fields)}')
            inits = {name: init.get(name, 'randn') for name in fields}
        if length < 1:
            raise ValueError(f'FeatureQueue needs length >= 1, got {length}')
        self.length = length
        self.fields = fields
        for name, size in fields.items():
            if not name.isidentifier() or name == 'ptr' or hasattr(self, name):
                raise ValueError(f'FeatureQueue field name {name!r} is not usable as a buffer')
            if size is None or size < 1:
                raise ValueError(f'FeatureQueue field {name!r} needs dim >= 1, got {size}')
            if inits[name] == 'randn':
                rows = F.normalize(torch.randn(length, size), dim=1)
            elif inits[name] == 'empty':
                rows = torch.full((length, size), EMPTY)
            else:
                raise ValueError(f'FeatureQueue init of field {name!r} must be one of {INITS}, '
                                 f'got {inits[name]!r}')
            self.register_buffer(name, rows)
        self.register_buffer('ptr', torch.zeros(1, dtype=torch.long))

    @property
    def dim(self) -> int:
        """Feature size of a single-field queue."""
        if len(self.fields) != 1:
            raise AttributeError(f'dim is ambiguous for fields {sorted(self.fields)}')
        return next(iter(self.fields.values()))

    def field(self, name: str) -> torch.Tensor:
        """The (length, dim) rows of field ``name``."""
        if name not in self.fields:
            raise KeyError(f'FeatureQueue has no field {name!r} (fields: {sorted(self.fields)})')
        return getattr(self, name)

    @torch.no_grad()
    def enqueue(self, keys: Optional[torch.Tensor] = None, **fields: torch.Tensor) -> int:
        """Gather one batch of keys from all processes, write every field, advance once.

        Args:
            keys (Tensor, optional): (B, dim) keys of a single-field queue.
            **fields (Tensor): (B, dim_f) keys of each field, all fields at once.

        Returns:
            int: The number of rows written (the global batch size).
        """
        if keys is not None:
            if fields or len(self.fields) != 1:
                raise ValueError('a positional batch of keys is only for a single-field '
                                 f'queue; this one has fields {sorted(self.fields)}: pass '
                                 'each by name')
            fields = {next(iter(self.fields)): keys}
        if set(fields) != set(self.fields):
            raise ValueError(f'enqueue got fields {sorted(fields)} but the queue holds '
                             f'{sorted(self.fields)}: all fields are written in one call')
        sizes = {name: tuple(value.shape) for name, value in fields.items()}
        for name, value in fields.items():
            if value.dim() != 2 or value.shape[1] != self.fields[name]:
                raise ValueError(f'keys of field {name!r} of shape {sizes[name]} do not fit '
                                 f'its dim {self.fields[name]}')
        if len({shape[0] for shape in sizes.values()}) != 1:
            raise ValueError(f'fields have different batch sizes: {sizes}')
        gathered = {name: torch.cat(all_gather(fields[name].detach().contiguous()), dim=0)
                    for name in sorted(self.fields)}
        batch = next(iter(gathered.values())).shape[0]
        if self.length % batch:
            raise ValueError(f'queue length {self.length} is not a multiple of the global '
                             f'batch size {batch}')
        ptr = int(self.ptr)
        for name, rows in gathered.items():
            buf = self.field(name)
            buf[ptr:ptr + batch] = rows.to(buf.dtype)
        self.ptr[0] = (ptr + batch) % self.length
        return batch

    def filled_rows(self, name: Optional[str] = None) -> torch.Tensor:
        """(length,) bool: rows of field ``name`` that hold a written value ('empty' init)."""
        if name is None:
            if len(self.fields) != 1:
                raise ValueError(f'filled_rows needs a field name (fields: {sorted(self.fields)})')
            name = next(iter(self.fields))
        return self.field(name)[:, 0] != EMPTY

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # mmengine resumes with strict=False, which only warns on a size mismatch or a missing
        # field and would train on with a fresh random dictionary: refuse instead.
        expected = {name: self.field(name) for name in self.fields}
        expected['ptr'] = self.ptr
        present = [name for name in expected if prefix + name in state_dict]
        if present and len(present) != len(expected):
            missing = sorted(set(expected) - set(present))
            raise ValueError(f'checkpoint holds {[prefix + n for n in present]} but not '
                             f'{[prefix + n for n in missing]}: a dictionary is restored with '
                             'all its fields and its pointer, or not at all')
        for name, buf in expected.items():
            key = prefix + name
            if key in state_dict and state_dict[key].shape != buf.shape:
                raise ValueError(
                    f'checkpoint key {key} has shape {tuple(state_dict[key].shape)} but the '
                    f'model built from the config expects {tuple(buf.shape)} (dictionary size '
                    'or feature size differs between the checkpoint and the config)')
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
