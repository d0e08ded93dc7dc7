import pytest
import torch

from mls_mm.models.utils import FeatureQueue


def test_fifo_wraps_around_and_moves_the_pointer():
    q = FeatureQueue(length=6, dim=2)
    for step in range(4):  # 4 batches of 2 rows into 6 rows: the 4th overwrites rows 0-1
        q.enqueue(torch.full((2, 2), float(step)))
    assert int(q.ptr) == (4 * 2) % 6 == 2
    assert q.feats[:, 0].tolist() == [3., 3., 1., 1., 2., 2.]


def test_initial_rows_are_unit_norm_or_empty():
    q = FeatureQueue(16, 8)
    assert torch.allclose(q.feats.norm(dim=1), torch.ones(16))
    e = FeatureQueue(4, 3, init='empty')
    assert not e.filled_rows().any()
    e.enqueue(torch.zeros(2, 3))
    assert e.filled_rows().tolist() == [True, True, False, False]


def test_two_queues_on_one_pointer_stay_row_aligned():
    g = FeatureQueue(8, 3)
    z = FeatureQueue(8, 2, pointer=g.ptr)
    assert z.ptr is g.ptr
    for step in range(5):
        ids = torch.arange(4 * step, 4 * step + 4, dtype=torch.float)
        rows = g.write(ids[:, None].expand(4, 3))
        z.write(ids[:, None].expand(4, 2))
        g.advance(rows)
        assert int(z.ptr) == (4 * (step + 1)) % 8
    assert torch.equal(g.feats[:, 0], z.feats[:, 0])  # row i: the same key in both
    assert g.feats[:, 0].tolist() == [16., 17., 18., 19., 12., 13., 14., 15.]
    # the shared pointer survives a save / load round trip
    state = {**{f'g.{k}': v for k, v in g.state_dict().items()},
             **{f'z.{k}': v for k, v in z.state_dict().items()}}
    g2 = FeatureQueue(8, 3)
    z2 = FeatureQueue(8, 2, pointer=g2.ptr)
    g2.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith('g.')})
    z2.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith('z.')})
    assert z2.ptr is g2.ptr and int(g2.ptr) == int(g.ptr)


def test_bad_batch_and_shapes_are_named():
    q = FeatureQueue(10, 4)
    with pytest.raises(ValueError, match='length 10 is not a multiple of the global batch size 4'):
        q.enqueue(torch.zeros(4, 4))
    with pytest.raises(ValueError, match=r'keys of shape \(2, 3\)'):
        q.enqueue(torch.zeros(2, 3))
    other = FeatureQueue(12, 4)
    with pytest.raises(ValueError, match=r'key feats has shape \(12, 4\).*expects \(10, 4\)'):
        q.load_state_dict(other.state_dict())
