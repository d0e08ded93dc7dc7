"""BAM + IA-CLoss on a SimSiam base (Chen, arXiv 2506.23156)."""
from typing import Dict, List, Tuple

import torch
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

NUM_BLOCKS, NUM_VIEWS = 4, 8


def arrange_block_views(inputs: List[torch.Tensor], data_samples: List[DataSample]
                        ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stack BAM's 8 views (from :class:`BlockWiseViews`) into two row-aligned batches.

    Args:
        inputs (list[Tensor]): 8 tensors (B, C, H, W): views (b, 1) for b = 1..4, then (b, 2).
        data_samples (list[DataSample]): B samples with ``sample_idx`` (the image id) and
            ``block_index`` ([0, 1, 2, 3] * 2); ``view_image_ids`` when present must all equal
            ``sample_idx``.

    Returns:
        tuple: ``x1`` and ``x2`` (4B, C, H, W) with row ``b * B + i`` = block b of image i under
        pipeline 1 and 2 respectively, and ``image_ids`` (4B,) long.
    """
    if len(inputs) != NUM_VIEWS:
        raise ValueError(f'BAM expects {NUM_VIEWS} views per image (4 blocks x 2 pipelines), '
                         f'got {len(inputs)}: check the BlockWiseViews pipeline')
    ids = []
    for sample in data_samples:
        if 'sample_idx' not in sample:
            raise ValueError("BAM needs each data sample's image id (sample_idx, packed by "
                             'PackInputs from the dataset)')
        image_id = int(sample.sample_idx)
        view_ids = sample.get('view_image_ids', [image_id] * NUM_VIEWS)
        if list(view_ids) != [image_id] * NUM_VIEWS:
            raise ValueError(f'views of image {image_id} carry inconsistent image ids {view_ids}')
        blocks = sample.get('block_index', list(range(NUM_BLOCKS)) * 2)
        if list(blocks) != list(range(NUM_BLOCKS)) * 2:
            raise ValueError(f'views of image {image_id} are not in block order: {blocks}')
        ids.append(image_id)
    if len(set(ids)) != len(ids):
        raise ValueError(f'one batch holds the same image id twice: {sorted(ids)}')
    image_ids = torch.tensor(ids, dtype=torch.long, device=inputs[0].device)
    x1 = torch.cat(inputs[:NUM_BLOCKS])
    x2 = torch.cat(inputs[NUM_BLOCKS:])
    return x1, x2, image_ids.repeat(NUM_BLOCKS)


@MODELS.register_module()
class BAM(BaseSelfSupervisor):
    """SimSiam over BAM's block views, with the image-aware contrastive loss.

    One backbone + projector (``neck``) encodes the 4B views of each pipeline; the head
    (:class:`BAMHead`) owns the predictor and ``L = L_con + 4 * L_clu``. No momentum encoder,
    no queue.
    """

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        x1, x2, image_ids = arrange_block_views(inputs, data_samples)
        z1 = self.neck(self.backbone(x1))[0]                          # (4B, d)
        z2 = self.neck(self.backbone(x2))[0]
        return self.head.loss(z1, z2, image_ids)
