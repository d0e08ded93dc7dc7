"""InfoNCE-only warm-up epochs for MLS (the alternative the MLS paper names but does not use)."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model


@HOOKS.register_module()
class MLSWarmupHook(Hook):
    """Train MLS with lambda = 0 (InfoNCE only) for the first ``warmup_epochs`` epochs.

    The paper trains with L = L_nce + lambda L_ml from step 0 and names InfoNCE-only epochs
    that fill the dictionaries before the kNN pseudo-labels count as an alternative it did not
    use, so the paper's configs leave this hook out. It follows mmpretrain's ``DenseCLHook``:
    before every iteration it sets the head's ``ml_weight`` to 0 while ``runner.epoch <
    warmup_epochs`` and to the configured lambda afterwards. The decision reads only
    ``runner.epoch``, which ``--resume`` restores, so a resumed run is in the same phase as the
    uninterrupted one.

    Args:
        warmup_epochs (int): Epochs trained with InfoNCE only. Defaults to 0 (the paper).
    """

    priority = 'NORMAL'

    def __init__(self, warmup_epochs: int = 0) -> None:
        if warmup_epochs < 0:
            raise ValueError(f'MLSWarmupHook.warmup_epochs must be >= 0, got {warmup_epochs}')
        self.warmup_epochs = warmup_epochs
        self.ml_weight: Optional[float] = None

    def before_train(self, runner) -> None:
        head = get_ori_model(runner.model).head
        if not hasattr(head, 'ml_weight'):
            raise TypeError('MLSWarmupHook needs a model whose head has ml_weight (MLSHead), '
                            f'got {type(head).__name__}')
        self.ml_weight = head.ml_weight

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[Sequence[dict]] = None) -> None:
        in_warmup = runner.epoch < self.warmup_epochs
        get_ori_model(runner.model).head.ml_weight = 0.0 if in_warmup else self.ml_weight
