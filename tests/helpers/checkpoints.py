"""Reading back a checkpoint that a test itself has just written."""
import torch

import mls_mm  # noqa: F401 - allow-lists mmengine's checkpoint globals where torch can

SAFE_GLOBALS = hasattr(torch.serialization, 'add_safe_globals')


def load_own_checkpoint(path, map_location='cpu'):
    """``torch.load`` with ``weights_only=True`` where torch can allow-list what mmengine
    pickles (torch >= 2.4); on older torch a weights-only load cannot read mmengine's
    ``HistoryBuffer`` at all, and the file is the test's own, so it is loaded plainly."""
    return torch.load(path, map_location=map_location, weights_only=SAFE_GLOBALS)
