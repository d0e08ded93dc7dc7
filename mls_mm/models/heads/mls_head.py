"""MLS head: InfoNCE against Q_z plus the multi-label BCE of Eq. 9 on kNN pseudo-labels."""
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class MLSHead(BaseModule):
    r"""Turns the query, its key and the two dictionaries into MLS's two losses.

    With z1 (B, d_z) the L2-normalised online projection, z2 (B, d_z) its momentum key,
    g1 (B, d_g) the online pooled backbone feature, Q_z (D, d_z) and Q_g (D, d_g):

    * pseudo-labels (no gradient): :math:`s = \hat g_1 Q_g^\top`, and :math:`y_i = 1` for the
      ``topk`` largest :math:`s_i`, else 0 (MLS Sec. 3.2);
    * :math:`p = z_1 Q_z^\top`, and Eq. 9, averaged over the batch:

      .. math::
          L_{ml} = -\frac{1}{D}\sum_{i=1}^{D} y_i\log\sigma(p_i/\tau)
                   + (1 - y_i)\log(1 - \sigma(p_i/\tau))

    * MoCo v2's InfoNCE with the same :math:`\tau`:

      .. math::
          L_{nce} = -\log\frac{\exp(z_1 \cdot z_2/\tau)}
                     {\exp(z_1 \cdot z_2/\tau) + \sum_{n \in Q_z}\exp(z_1 \cdot n/\tau)}

    The total is :math:`L = L_{nce} + \lambda L_{ml}` where :math:`\lambda` is
    ``loss_ml.loss_weight`` (0.5), kept as :attr:`ml_weight` (which
    :class:`MLSWarmupHook` sets to 0 for InfoNCE-only warm-up epochs); ``loss_ml`` is
    returned already weighted, as OpenMMLab heads do, so mmengine logs
    ``loss = loss_nce + loss_ml``, and ``ml_bce`` is the unweighted :math:`L_{ml}`, logged
    only (no ``loss`` in its name), so that the term can be followed through a warm-up.

    Args:
        temperature (float): tau, shared by both losses. Defaults to 0.2.
        topk (int): k, pseudo-positives per query. Defaults to 20.
        loss_nce (dict): Softmax cross-entropy over [positive, Q_z]. Defaults to
            ``dict(type='CrossEntropyLoss')``.
        loss_ml (dict): Per-entry sigmoid BCE of Eq. 9; its ``loss_weight`` is lambda.
            Defaults to ``dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.5)``.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 temperature: float = 0.2,
                 topk: int = 20,
                 loss_nce: dict = dict(type='CrossEntropyLoss'),
                 loss_ml: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                      loss_weight=0.5),
                 init_cfg=None):
        super().__init__(init_cfg)
        if temperature <= 0:
            raise ValueError(f'head.temperature (tau) must be > 0, got {temperature}')
        if topk < 1:
            raise ValueError(f'head.topk (k) must be >= 1, got {topk}')
        if loss_ml.get('loss_weight', 1.0) < 0:
            raise ValueError('head.loss_ml.loss_weight (lambda) must be >= 0, got '
                             f"{loss_ml['loss_weight']}")
        if not loss_ml.get('use_sigmoid', False):
            raise ValueError('head.loss_ml must be a sigmoid BCE (use_sigmoid=True): Eq. 9 '
                             'scores every dictionary entry independently')
        self.temperature = temperature
        self.topk = topk
        self.ml_weight = float(loss_ml.get('loss_weight', 1.0))
        self.loss_nce = MODELS.build(loss_nce)
        self.loss_ml = MODELS.build({**loss_ml, 'loss_weight': 1.0})

    @torch.no_grad()
    def pseudo_labels(self, g1: torch.Tensor,
                      queue_g: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Top-k kNN pseudo-labels of each query among the D entries of Q_g.

        Args:
            g1 (Tensor): (B, d_g) online backbone features (normalised here; the ranking
                does not depend on it).
            queue_g (Tensor): (D, d_g) L2-normalised dictionary Q_g.

        Returns:
            tuple: ``targets`` (B, D) float in {0, 1} with exactly ``topk`` ones per row, and
            ``indices`` (B, topk) long, the chosen rows, most similar first.
        """
        if self.topk > queue_g.shape[0]:
            raise ValueError(f'head.topk={self.topk} exceeds the dictionary size '
                             f'{queue_g.shape[0]}')
        sim = torch.einsum('bc,dc->bd', F.normalize(g1.detach(), dim=1), queue_g)
        indices = sim.topk(self.topk, dim=1).indices
        targets = torch.zeros_like(sim).scatter_(1, indices, 1.0)
        return targets, indices

    def loss(self, z1: torch.Tensor, z2: torch.Tensor, queue_z: torch.Tensor,
             targets: torch.Tensor, queue_z_ml: torch.Tensor = None) -> Dict[str, torch.Tensor]:
        """InfoNCE and the weighted multi-label BCE.

        Args:
            z1 (Tensor): (B, d_z) L2-normalised queries (with gradient).
            z2 (Tensor): (B, d_z) L2-normalised keys (no gradient).
            queue_z (Tensor): (D, d_z) Q_z, the InfoNCE negatives.
            targets (Tensor): (B, D') pseudo-labels from :meth:`pseudo_labels`.
            queue_z_ml (Tensor, optional): (D', d_z) dictionary the BCE scores against when it
                differs from the InfoNCE negatives (``own_key_positive``). Defaults to
                ``queue_z``.

        Returns:
            dict: ``loss_nce``, ``loss_ml`` (already times lambda) and ``ml_bce`` (the
            unweighted, detached L_ml, for the log).
        """
        queue_z = queue_z.detach()
        queue_z_ml = queue_z if queue_z_ml is None else queue_z_ml.detach()
        l_pos = torch.einsum('bc,bc->b', z1, z2).unsqueeze(1)        # (B, 1)
        l_neg = torch.einsum('bc,dc->bd', z1, queue_z)               # (B, D)
        logits = torch.cat([l_pos, l_neg], dim=1) / self.temperature  # (B, 1 + D)
        nce_labels = torch.zeros(z1.shape[0], dtype=torch.long, device=z1.device)
        p = l_neg if queue_z_ml is queue_z else torch.einsum('bc,dc->bd', z1, queue_z_ml)
        bce = self.loss_ml(p / self.temperature, targets)
        return dict(loss_nce=self.loss_nce(logits, nce_labels),
                    loss_ml=self.ml_weight * bce,
                    ml_bce=bce.detach())
