"""MLS: Multi-Label Self-supervised learning (Zhu, Fu, Wu, ICCV 2023, arXiv 2308.03286)."""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import FeatureQueue, legacy_queue_keys


@MODELS.register_module()
class MLS(BaseSelfSupervisor):
    """MoCo v2 plus two aligned dictionaries Q_g (kNN pseudo-labels) and Q_z (logits).

    Per step: the online encoder gives g1, z1 for view 1; the EMA encoder gives g2, z2 for
    view 2 (shuffle-BN across processes as in MoCo); the head picks the top-k rows of Q_g
    nearest g1 as positives and returns InfoNCE over Q_z plus lambda times Eq. 9's BCE; then
    the gathered keys (g2, z2) enter the dictionaries. Q_g and Q_z are the fields ``g``
    (D, d_g) and ``z`` (D, d_z) of one :class:`FeatureQueue` ``queue`` with one pointer,
    written in one call, so row i of both is always the same key crop (checkpoint keys
    ``queue.g``, ``queue.z``, ``queue.ptr``; ``queue.labels`` with ``num_classes``).

    ``own_key_positive=False`` (default) scores against the dictionaries *before* this batch's
    keys enter them (MoCo's order), so a query's own key can never be its pseudo-positive.
    With True the keys are enqueued first and the kNN and the BCE see them (the query's own
    key then usually is one of its k positives); InfoNCE always uses the pre-update Q_z.

    Args:
        backbone (dict): Backbone config (ResNet-50: C5 of 2048 channels).
        neck (dict): :class:`MLSNeck` config; returns (g, z).
        head (dict): :class:`MLSHead` config; owns tau, k, lambda and the losses.
        dict_size (int): D, rows of each dictionary; a multiple of the global batch.
            Defaults to 4096.
        backbone_dim (int): d_g, must equal ``neck.in_channels``. Defaults to 2048.
        feat_dim (int): d_z, must equal ``neck.out_channels``. Defaults to 256.
        momentum (float): mmengine EMA momentum, ``ema = (1 - momentum) * ema + momentum *
            online``; 0.005 is the paper's m = 0.995. Defaults to 0.005.
        own_key_positive (bool): See above. Defaults to False.
        shuffle_bn (bool): Shuffle the key batch across processes for BN. Defaults to True.
        num_classes (int, optional): With image-level labels in the data samples, keep a
            label queue beside the dictionaries (never used by the loss) and log
            ``pl_precision`` (share of the k pseudo-positives sharing >= 1 class with the
            query) and ``pl_chance`` (the same for k random filled rows). Defaults to None.
        data_preprocessor (dict, optional): Defaults to None (SelfSupDataPreprocessor).
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 dict_size: int = 4096,
                 backbone_dim: int = 2048,
                 feat_dim: int = 256,
                 momentum: float = 0.005,
                 own_key_positive: bool = False,
                 shuffle_bn: bool = True,
                 num_classes: Optional[int] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if not 0 < momentum < 1:
            raise ValueError(f'model.momentum must be in (0, 1) (mmengine EMA form: the '
                             f'weight of the online encoder, 0.005 = the paper\'s m 0.995), got '
                             f'{momentum}')
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        for key, want, got in (('backbone_dim', backbone_dim, self.neck.in_channels),
                               ('feat_dim', feat_dim, self.neck.out_channels)):
            if want != got:
                raise ValueError(f'model.{key}={want} does not match the neck output size '
                                 f'{got} (neck.{"in" if key == "backbone_dim" else "out"}'
                                 '_channels)')
        if not 1 <= self.head.topk <= dict_size:
            raise ValueError(f'model.head.topk={self.head.topk} must be in [1, model.dict_size='
                             f'{dict_size}]')
        self.momentum_encoder = ExponentialMovingAverage(
            nn.Sequential(self.backbone, self.neck), momentum)
        self.own_key_positive = own_key_positive
        self.shuffle_bn = shuffle_bn
        self.num_classes = num_classes
        fields = dict(g=backbone_dim, z=feat_dim)
        if num_classes is not None:
            fields['labels'] = num_classes
        self.queue = FeatureQueue(dict_size, fields=fields, init=dict(labels='empty')
                                  if num_classes is not None else 'randn')

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Two views (B, 3, H, W) each -> ``loss_nce``, ``loss_ml`` (and monitors)."""
        im_q, im_k = inputs[0], inputs[1]
        g1, z1 = self.neck(self.backbone(im_q))                    # (B, d_g), (B, d_z)
        z1 = F.normalize(z1, dim=1)
        with torch.no_grad():
            self.momentum_encoder.update_parameters(nn.Sequential(self.backbone, self.neck))
            if self.shuffle_bn:
                im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
            g2, z2 = self.momentum_encoder(im_k)
            if self.shuffle_bn:
                g2 = batch_unshuffle_ddp(g2, idx_unshuffle)
                z2 = batch_unshuffle_ddp(z2, idx_unshuffle)
            g2, z2 = F.normalize(g2, dim=1), F.normalize(z2, dim=1)
        labels = self._multi_hot(data_samples) if self.num_classes is not None else None

        # a copy: autograd keeps the negatives for backward, and enqueueing writes in place
        negatives = self.queue.z.clone()                           # (D, d_z), pre-update
        if self.own_key_positive:
            self._enqueue(g2, z2, labels)
        targets, topk = self.head.pseudo_labels(g1, self.queue.g)
        losses = self.head.loss(z1, z2, negatives, targets,
                                self.queue.z if self.own_key_positive else None)
        if labels is not None:
            losses.update(self._pseudo_label_precision(topk, labels))
        if not self.own_key_positive:
            self._enqueue(g2, z2, labels)
        return losses

    @torch.no_grad()
    def _enqueue(self, g2, z2, labels) -> None:
        keys = dict(g=g2, z=z2) if labels is None else dict(g=g2, z=z2, labels=labels)
        self.queue.enqueue(**keys)

    def _multi_hot(self, data_samples: List[DataSample]) -> torch.Tensor:
        if not data_samples or 'gt_label' not in data_samples[0]:
            raise ValueError('model.num_classes is set (pseudo-label precision) but the data '
                             'samples carry no gt_label: use a dataset with with_labels=True')
        device = self.queue.g.device
        hot = torch.zeros(len(data_samples), self.num_classes, device=device)
        for row, sample in enumerate(data_samples):
            hot[row, sample.gt_label.to(device)] = 1.0
        return hot

    @torch.no_grad()
    def _pseudo_label_precision(self, topk: torch.Tensor,
                                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Share of pseudo-positives (B, k) sharing a class with the query, and chance level."""
        filled_rows = self.queue.filled_rows('labels')
        filled = filled_rows.nonzero().squeeze(1)
        if filled.numel() == 0:
            return {}
        entry_labels = self.queue.labels                            # (D, C)
        valid = filled_rows[topk]                                   # (B, k)
        shared = torch.einsum('bkc,bc->bk', entry_labels[topk], labels) > 0
        random_rows = filled[torch.randint(filled.numel(), topk.shape, device=topk.device)]
        shared_random = torch.einsum('bkc,bc->bk', entry_labels[random_rows], labels) > 0
        precision = (shared & valid).sum() / valid.sum().clamp(min=1)
        return dict(pl_precision=precision.float(), pl_chance=shared_random.float().mean())

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # mmengine resumes with strict=False, which would drop these keys with a warning and
        # train on with fresh dictionaries
        legacy = legacy_queue_keys(state_dict, prefix)
        if legacy:
            raise ValueError(
                f'checkpoint holds MLS dictionaries in the mls_mm 0.1 layout ({", ".join(legacy)}) '
                'where this model has one FeatureQueue (queue.g, queue.z[, queue.labels], '
                'queue.ptr): convert it with `python tools/model_converters/'
                'convert_mls_queues.py OLD.pth NEW.pth` (mls_mm.models.utils.'
                'convert_legacy_queue_state)')
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
