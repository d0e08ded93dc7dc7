"""BAM head: same-block SimSiam term plus the image-aware contrastive loss."""
from typing import Dict

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_rank, get_world_size
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ..utils import all_gather_with_grad


@MODELS.register_module()
class BAMHead(BaseModule):
    r"""Predictor and the two losses of BAM + IA-CLoss (arXiv 2506.23156).

    With z1, z2 (M, d) the projections of the M block views under pipelines 1 and 2 (row k of
    both is the same block of the same image), p = predictor(z) and y (M,) the image ids:

    .. math::
        L_{con} = -\tfrac12 [\,\overline{\cos(p_1, sg(z_2))} + \overline{\cos(p_2, sg(z_1))}\,]

        L_{clu} = \tfrac12 [\,L_{IA}(\hat{[p_1; z_2]}, [y; y]) + L_{IA}(\hat{[p_2; z_1]}, [y; y])\,]

    and the total is :math:`L_{con} + 4 L_{clu}` (the 4 is ``loss_clu.loss_weight``;
    :math:`L_{IA}` is :func:`multi_positive_contrastive_loss`). ``sg`` is a stop-gradient
    when ``stop_grad=True`` (SimSiam's recipe; the reference code has none); L_clu never
    stops gradients.

    With ``gather_features=True`` the rows of every process are gathered (gradients flow back
    to their owners), so each anchor sees all 7 other views of its image wherever they were
    computed; each process takes its own rows as anchors. ``False`` is the reference's
    per-process loss.

    Args:
        predictor (dict): Predictor config (SimSiam's 2048-512-2048 ``NonLinearNeck``).
        loss_con (dict): Defaults to ``dict(type='CosineSimilarityLoss')`` (negative cosine).
        loss_clu (dict): Defaults to IA-CLoss with tau 0.3, tau_b 0.07, weight 4.
        stop_grad (bool): Stop-gradient on the targets of L_con. Defaults to True.
        gather_features (bool): Gather rows across processes for L_clu. Defaults to True.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 predictor: dict,
                 loss_con: dict = dict(type='CosineSimilarityLoss'),
                 loss_clu: dict = dict(type='MultiPositiveContrastiveLoss', temperature=0.3,
                                       base_temperature=0.07, form='ia', loss_weight=4.0),
                 stop_grad: bool = True,
                 gather_features: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.predictor = MODELS.build(predictor)
        self.loss_con = MODELS.build(loss_con)
        self.loss_clu = MODELS.build(loss_clu)
        self.stop_grad = stop_grad
        self.gather_features = gather_features

    def loss(self, z1: torch.Tensor, z2: torch.Tensor,
             image_ids: torch.Tensor) -> Dict[str, torch.Tensor]:
        """z1, z2 (M, d) row-aligned projections, image_ids (M,) -> loss_con, loss_clu."""
        p1 = self.predictor([z1])[0]
        p2 = self.predictor([z2])[0]
        t1, t2 = (z1.detach(), z2.detach()) if self.stop_grad else (z1, z2)
        loss_con = 0.5 * (self.loss_con(p1, t2) + self.loss_con(p2, t1))
        ids = torch.cat([image_ids, image_ids])
        loss_clu = 0.5 * (self._image_aware(torch.cat([p1, z2]), ids) +
                          self._image_aware(torch.cat([p2, z1]), ids))
        return dict(loss_con=loss_con, loss_clu=loss_clu)

    def _image_aware(self, feats: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        feats = F.normalize(feats, dim=1)
        world = get_world_size()
        if not self.gather_features or world == 1:
            return self.loss_clu(feats, ids)
        rows = feats.shape[0]
        all_feats = all_gather_with_grad(feats)                       # (world * rows, d)
        all_ids = torch.cat(all_gather(ids))
        rank = get_rank()
        own = torch.arange(rank * rows, (rank + 1) * rows, device=feats.device)
        others = torch.cat([torch.arange(0, rank * rows, device=feats.device),
                            torch.arange((rank + 1) * rows, world * rows, device=feats.device)])
        order = torch.cat([own, others])                              # this process' rows first
        return self.loss_clu(all_feats[order], all_ids[order], num_anchors=rows)
