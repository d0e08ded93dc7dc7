import pytest
import torch

from mls_mm.models.utils import FeatureQueue


def test_single_field_fifo_wraps_around_and_moves_the_pointer():
    q = FeatureQueue(length=6, dim=2)
    for step in range(4):  # 4 batches of 2 rows into 6 rows: the 4th overwrites rows 0-1
        q.enqueue(torch.full((2, 2), float(step)))
    assert int(q.ptr) == (4 * 2) % 6 == 2
    assert q.feats[:, 0].tolist() == [3., 3., 1., 1., 2., 2.]
    assert q.dim == 2 and list(q.fields) == ['feats']


def test_initial_rows_are_unit_norm_or_empty():
    q = FeatureQueue(16, 8)
    assert torch.allclose(q.feats.norm(dim=1), torch.ones(16))
    e = FeatureQueue(4, fields=dict(g=3, labels=2), init=dict(labels='empty'))
    assert torch.allclose(e.g.norm(dim=1), torch.ones(4))
    assert not e.filled_rows('labels').any()
    e.enqueue(g=torch.zeros(2, 3), labels=torch.zeros(2, 2))
    assert e.filled_rows('labels').tolist() == [True, True, False, False]


def test_fields_are_written_in_one_call_at_one_pointer():
    q = FeatureQueue(8, fields=dict(g=3, z=2))
    ptrs = [name for name, _ in q.named_buffers() if name.endswith('ptr')]
    assert ptrs == ['ptr']
    for step in range(5):
        ids = torch.arange(4 * step, 4 * step + 4, dtype=torch.float)
        assert q.enqueue(g=ids[:, None].expand(4, 3), z=ids[:, None].expand(4, 2)) == 4
        assert int(q.ptr) == (4 * (step + 1)) % 8
    # 20 keys into 8 rows: row r holds the last id congruent to r (mod 8)
    want = [float(max(i for i in range(20) if i % 8 == r)) for r in range(8)]
    assert q.g[:, 0].tolist() == want and q.z[:, 1].tolist() == want


def test_round_trip_keeps_every_field_and_the_pointer():
    q = FeatureQueue(8, fields=dict(g=3, z=2))
    q.enqueue(g=torch.ones(4, 3), z=torch.ones(4, 2))
    fresh = FeatureQueue(8, fields=dict(g=3, z=2))
    fresh.load_state_dict(q.state_dict())
    assert set(q.state_dict()) == {'g', 'z', 'ptr'}
    for key in ('g', 'z', 'ptr'):
        assert torch.equal(fresh.state_dict()[key], q.state_dict()[key])


def test_bad_batch_and_shapes_are_named():
    q = FeatureQueue(10, 4)
    with pytest.raises(ValueError, match='length 10 is not a multiple of the global batch size 4'):
        q.enqueue(torch.zeros(4, 4))
    with pytest.raises(ValueError, match=r"field 'feats' of shape \(2, 3\)"):
        q.enqueue(torch.zeros(2, 3))
    other = FeatureQueue(12, 4)
    with pytest.raises(ValueError, match=r'key feats has shape \(12, 4\).*expects \(10, 4\)'):
        q.load_state_dict(other.state_dict())
    two = FeatureQueue(8, fields=dict(g=3, z=2))
    with pytest.raises(ValueError, match=r"got fields \['g'\].*holds \['g', 'z'\]"):
        two.enqueue(g=torch.zeros(2, 3))
    with pytest.raises(ValueError, match='different batch sizes'):
        two.enqueue(g=torch.zeros(2, 3), z=torch.zeros(4, 2))
    with pytest.raises(ValueError, match='single-field'):
        two.enqueue(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"holds \['g', 'ptr'\] but not \['z'\]"):
        two.load_state_dict({'g': two.g, 'ptr': two.ptr}, strict=False)


@pytest.mark.parametrize('kwargs,match', [
    (dict(length=4), 'either dim'),
    (dict(length=4, dim=2, fields=dict(g=2)), 'either dim'),
    (dict(length=0, dim=2), 'length >= 1'),
    (dict(length=4, fields=dict(g=0)), "field 'g' needs dim >= 1"),
    (dict(length=4, fields=dict(ptr=2)), "'ptr' is not usable"),
    (dict(length=4, dim=2, init='zeros'), "must be one of"),
    (dict(length=4, fields=dict(g=2), init=dict(z='empty')), r"init names fields \['z'\]"),
])
def test_bad_construction_is_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FeatureQueue(**kwargs)
