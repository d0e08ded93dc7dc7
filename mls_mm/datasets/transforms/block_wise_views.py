"""BAM's block-wise augmentation: 4 overlapping blocks x 2 pipelines = 8 views per image."""
from typing import List, Sequence, Tuple

from mmcv.transforms import BaseTransform, Compose
from mmpretrain.registry import TRANSFORMS

NUM_BLOCKS = 4
NUM_PIPELINES = 2
NUM_VIEWS = NUM_BLOCKS * NUM_PIPELINES


def block_boxes(width: int, height: int, overlap: float) -> List[Tuple[int, int, int, int]]:
    """The 4 blocks of BAM (arXiv 2506.23156) as ``(x0, y0, x1, y1)`` pixel boxes, x1/y1 exclusive.

    Each block spans ``s = round((0.5 + overlap) * side)`` pixels of each side (at least 1, at
    most the side; halves round up) and is anchored at one corner, in the reference's order:
    top-left, bottom-left, top-right, bottom-right. Neighbouring blocks overlap by about
    ``2 * overlap`` of the side. (The reference crops ``side // 2 +- overlap * side`` with PIL
    rounding, which for odd sides makes the right/bottom blocks 1 pixel wider than the
    left/top ones; here all four have the same size.)
    """
    if not 0 <= overlap < 0.5:
        raise ValueError(f'overlap (c) must be in [0, 0.5), got {overlap}')
    if width < 1 or height < 1:
        raise ValueError(f'image of size {width} x {height} has no pixels')
    bw = min(width, max(1, int((0.5 + overlap) * width + 0.5)))
    bh = min(height, max(1, int((0.5 + overlap) * height + 0.5)))
    left, right = (0, bw), (width - bw, width)
    top, bottom = (0, bh), (height - bh, height)
    return [(x[0], y[0], x[1], y[1]) for x, y in ((left, top), (left, bottom),
                                                  (right, top), (right, bottom))]


@TRANSFORMS.register_module()
class BlockWiseViews(BaseTransform):
    """Cut the decoded image into BAM's 4 overlapping blocks and augment each block twice.

    Required keys: ``img`` (H, W, C). The image is decoded once (by the loading transform
    before this one); blocks are array slices of it, not copies or re-reads.

    Added / modified keys:

    - ``img``: list of 8 views, ordered ``[(b, 1) for b in 1..4] + [(b, 2) for b in 1..4]``:
      the first 4 from pipeline 1, the last 4 from pipeline 2, so view ``b`` and view ``4 + b``
      are the same-block pair.
    - ``block_index``: ``[0, 1, 2, 3, 0, 1, 2, 3]``.
    - ``view_pipeline``: ``[0, 0, 0, 0, 1, 1, 1, 1]``.
    - ``block_boxes``: the 4 boxes of :func:`block_boxes`.
    - ``view_image_ids``: the sample's ``sample_idx`` (its image id, set by the dataset) for
      each view.

    Pack them with ``PackInputs(algorithm_keys=['block_index', 'view_image_ids'])``
    (``PackInputs`` packs ``sample_idx`` as meta information by default).

    Args:
        pipelines (Sequence[Sequence[dict]]): Exactly two transform lists (configs or
            callables), the asymmetric pipelines 1 and 2. Each must turn one block into one view.
        overlap (float): c, in [0, 0.5): each block spans (0.5 + c) of each side.
            Defaults to 0.2 (the paper's default; the reference's COCO run used 0.3).
    """

    def __init__(self, pipelines: Sequence[Sequence[dict]], overlap: float = 0.2):
        if not 0 <= overlap < 0.5:
            raise ValueError(f'BlockWiseViews.overlap (c) must be in [0, 0.5), got {overlap}')
        if len(pipelines) != NUM_PIPELINES:
            raise ValueError(f'BlockWiseViews needs exactly {NUM_PIPELINES} pipelines '
                             f'(got {len(pipelines)}), giving {NUM_VIEWS} views per image')
        self.overlap = overlap
        self.pipelines = [Compose([TRANSFORMS.build(t) if isinstance(t, dict) else t
                                   for t in p]) for p in pipelines]

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        boxes = block_boxes(width, height, self.overlap)
        views = []
        for pipeline in self.pipelines:
            for x0, y0, x1, y1 in boxes:
                out = pipeline(dict(img=img[y0:y1, x0:x1], img_shape=(y1 - y0, x1 - x0),
                                    ori_shape=(height, width)))
                if out is None or not hasattr(out.get('img'), 'shape'):
                    raise ValueError('a BlockWiseViews pipeline must turn one block into one '
                                     f'image view, got {type(None if out is None else out.get("img"))}'
                                     f' for {results.get("img_path", "an image")}')
                views.append(out['img'])
        results.update(img=views,
                       view_image_ids=[results.get('sample_idx', -1)] * NUM_VIEWS,
                       block_index=list(range(NUM_BLOCKS)) * NUM_PIPELINES,
                       view_pipeline=[p for p in range(NUM_PIPELINES) for _ in range(NUM_BLOCKS)],
                       block_boxes=boxes)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(overlap={self.overlap}, pipelines={self.pipelines})'
