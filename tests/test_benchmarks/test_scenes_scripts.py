"""The scenes benchmark scripts run and print what their docstrings say."""
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _saved_scenes_backbone(tmp_path, seed=0):
    """A random scenes ResNet-18 (weights of ``seed``) saved as a pretraining checkpoint; its
    path."""
    from mmpretrain.models import ResNet
    torch.manual_seed(seed)
    backbone = ResNet(depth=18, stem_channels=32, base_channels=32)
    path = str(tmp_path / f'backbone_seed{seed}.pth')
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in backbone.state_dict().items()},
                    meta={}), path)
    return path


def test_step_cost_prints_every_case():
    out = subprocess.run([sys.executable, 'tools/benchmarks/scenes_step_cost.py', '--views', '2',
                          '--repeats', '1', '--threads', '1'], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert 'oneDNN has bfloat16 kernels for this CPU: ' in out
    for width, resolution in ((64, 64), (32, 64), (32, 32)):
        for precision in ('float32', 'bfloat16'):
            assert f'width {width:3d}  {resolution:3d} px {precision:>8}: forward + backward' \
                in out


@pytest.mark.skipif(shutil.which('g++') is None and shutil.which('c++') is None,
                    reason='torch.compile (inductor) needs a C++ compiler')
def test_step_cost_compiled_rows_and_chosen_cases(capsys, monkeypatch):
    """``--compile`` adds a row after the eager one of each chosen case (only those), every
    pass of it through the model torch.compile returned, with its compilation time; a
    malformed case is refused by name."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
    import scenes_step_cost
    from mmpretrain.models import ResNet
    compiled, calls = [], []
    real_compile = torch.compile

    def spy(model, *args, **kwargs):
        compiled.append(model)
        run = real_compile(model, *args, **kwargs)

        def counted(*inputs):
            calls.append(torch.is_grad_enabled())
            return run(*inputs)
        return counted

    monkeypatch.setattr(torch, 'compile', spy)
    threads = torch.get_num_threads()
    try:
        scenes_step_cost.main(['--views', '2', '--repeats', '1', '--threads', '1', '--precision',
                               'float32', '--cases', '32x32', '--compile'])
    finally:
        torch.set_num_threads(threads)
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith('width')]
    assert len(rows) == 2, rows
    assert rows[0].startswith('width  32   32 px  float32: forward + backward')
    assert 'torch.compile' not in rows[0]
    assert rows[1].startswith('width  32   32 px  float32: forward + backward')
    assert '(torch.compile; compiling took ' in rows[1]
    (model, ) = compiled
    assert isinstance(model, ResNet) and model.conv1.out_channels == 32
    # every timed pass ran the compiled model: 2 warm-ups and 1 timed forward + backward,
    # then 1 warm-up and 1 timed forward without grad
    assert calls == [True, True, True, False, False]
    for bad in ('32by32', '0x64', '32x0'):
        with pytest.raises(SystemExit):
            scenes_step_cost.main(['--cases', bad])
        assert ('a case is WIDTHxRESOLUTION of two positive integers, e.g. 32x64; got '
                f"'{bad}'") in capsys.readouterr().err


def test_linear_separability_of_random_and_of_a_checkpoint(scenes_root, tmp_path):
    """``random`` and a checkpoint of the same random backbone give the same numbers (the
    checkpoint is loaded strictly, key by key); a checkpoint of another width is refused."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
    import scenes_linear_separability as sep
    from mmpretrain.models import ResNet
    path = _saved_scenes_backbone(tmp_path)
    out = sep.main([path, '--data', scenes_root, '--size', '32'])
    assert 0 <= out['chance'] < out['mAP'] <= 100
    torch.manual_seed(0)  # the same initial weights as the saved backbone
    again = sep.main(['random', '--data', scenes_root, '--size', '32'])
    assert abs(again['mAP'] - out['mAP']) < 1e-6
    wide = ResNet(depth=18)
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in wide.state_dict().items()},
                    meta={}), str(tmp_path / 'wide.pth'))
    with pytest.raises(RuntimeError, match='size mismatch'):
        sep.main([str(tmp_path / 'wide.pth'), '--data', scenes_root, '--size', '32'])


class FakeClock:
    """A clock that only the test's transforms advance."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_pipeline_clock_counts_each_transform_without_what_it_wraps():
    """Three levels: Outer (own 1 s) calls Middle twice (own 2 s each), each calls Inner (3 s):
    own times 1 / 4 / 6 s, and they add up to the outermost call's 11 s. A transform that
    raises still gets its time, and ``__call__`` is restored."""
    from mmcv.transforms import BaseTransform
    sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
    from scenes_pipeline_cost import TransformClock
    tick = FakeClock()

    class Inner(BaseTransform):
        def transform(self, results):
            tick.now += 3
            if results.get('fail'):
                raise ValueError('bad image')
            return results

    class Middle(BaseTransform):
        def transform(self, results):
            tick.now += 2
            return Inner()(results)

    class Outer(BaseTransform):
        def transform(self, results):
            tick.now += 1
            return Middle()(Middle()(results))

    call = BaseTransform.__call__
    with TransformClock(clock=tick) as clock:
        Outer()(dict())
    assert BaseTransform.__call__ is call
    assert dict(clock.own) == {'Outer': 1, 'Middle': 4, 'Inner': 6}
    with pytest.raises(ValueError, match='bad image'):
        with TransformClock(clock=tick) as clock:
            Middle()(dict(fail=True))
    assert BaseTransform.__call__ is call
    assert dict(clock.own) == {'Middle': 2, 'Inner': 3} and clock._nested == []


def test_pipeline_cost_prints_each_twin(scenes_root, capsys):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
    import scenes_pipeline_cost as cost
    totals = cost.main(['--data-root', scenes_root, '--images', '4', '--repeats', '1'])
    out = capsys.readouterr().out
    assert set(totals) == set(cost.TWINS)
    for config in cost.TWINS:
        assert f'{osp.basename(config)}: {totals[config]:.0f} ms per step of 32 images' in out
    assert 'BlockWiseViews' in out and 'ColorJitter' in out and 'LoadImageFromFileStrict' in out
    with pytest.raises(FileNotFoundError, match='train2017'):
        cost.main(['--data-root', osp.join(scenes_root, 'missing')])


def test_label_precision_against_a_hand_count():
    """2 queries, 4 bank rows in the plane: the top-2 by cosine, counted by hand."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
    from scenes_knn_label_precision import label_precision
    angles = torch.tensor([0.0, 0.3, 1.6, 3.0], dtype=torch.float64)   # bank rows 0..3
    bank = torch.stack([angles.cos(), angles.sin()], 1)
    queries = torch.tensor([[1.0, 0.1], [-1.0, 0.05]], dtype=torch.float64)
    # classes: bank 0 {a}, 1 {b}, 2 {a, b}, 3 {c}; query 0 {a}, query 1 {c}
    bank_labels = torch.tensor([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=torch.float64)
    query_labels = torch.tensor([[1, 0, 0], [0, 0, 1]], dtype=torch.float64)
    # query 0 (angle ~0.1): nearest rows 0, 1 -> shares with 0 only: 1/2
    # query 1 (angle ~3.09): nearest rows 3, 2 -> shares with 3 only: 1/2
    precision, chance = label_precision(queries, query_labels, bank, bank_labels, topk=2)
    assert precision == pytest.approx(0.5)
    # query 0 shares with rows 0, 2 (2/4), query 1 with row 3 (1/4)
    assert chance == pytest.approx((2 / 4 + 1 / 4) / 2)
    precision, _ = label_precision(queries, query_labels, bank, bank_labels, topk=1)
    assert precision == pytest.approx(1.0)


def _nearest_neighbour_precision(path, scenes_root, size):
    """Float64 recount of the tool at k = 1 with the whole train split as the dictionary:
    the checkpoint's backbone loaded by hand, GAP of its last stage, cosine, argmax. Returns
    (precision, chance, the share of queries whose two nearest entries are within 1e-5: a
    float32 similarity may rank those the other way)."""
    from mmpretrain.models import ResNet

    import scenes_knn_label_precision as knn
    backbone = ResNet(depth=18, stem_channels=32, base_channels=32)
    state = torch.load(path, weights_only=False)['state_dict']
    backbone.load_state_dict({k[len('backbone.'):]: v for k, v in state.items()})
    backbone.eval()
    feats, hots = {}, {}
    for split in ('train', 'val'):
        images, hot = knn.load_split(scenes_root, split, size)
        with torch.no_grad():
            g = backbone(images)[-1].mean((2, 3)).double()
        feats[split] = g / g.norm(dim=1, keepdim=True)
        hots[split] = torch.from_numpy(hot).double()
    similarity = feats['val'] @ feats['train'].T
    top2 = similarity.topk(2, dim=1).values
    nearest = similarity.argmax(1)
    shares = (hots['val'] @ hots['train'].T) > 0
    return (shares[torch.arange(len(nearest)), nearest].double().mean().item(),
            shares.double().mean().item(),
            ((top2[:, 0] - top2[:, 1]) < 1e-5).double().mean().item())


def test_knn_label_precision_of_random_and_of_a_checkpoint(scenes_root, tmp_path, capsys):
    """``random`` and a checkpoint of the same random backbone give the same numbers, another
    checkpoint other ones; with the whole train split as the dictionary, k = 1 equals a float64
    nearest-neighbour recount; features that are the labels themselves give precision 1 at
    k = 1; a dictionary larger than the train split, or smaller than k, is refused, before any
    image is encoded; a checkpoint without backbone keys is refused by name."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
    import scenes_knn_label_precision as knn
    path, other = _saved_scenes_backbone(tmp_path), _saved_scenes_backbone(tmp_path, seed=1)
    args = ['--data', scenes_root, '--size', '32', '--dict-size', '32', '--banks', '3']
    out = knn.main([path, 'random', other] + args)
    printed = capsys.readouterr().out
    assert set(out[path]) == {1, 2, 5, 20}
    for k in (1, 2, 5, 20):
        assert out[path][k] == pytest.approx(out['random'][k], abs=1e-9)
        precision, chance = out[path][k]
        assert 0 <= precision <= 1 and 0 < chance < 1
        assert f'| {path} | {k} | {precision:.3f} | {chance:.3f} |' in printed
    # another random backbone: other neighbours (compared at every k: at k = 1 alone two
    # backbones can land on the same count of 48)
    assert any(out[other][k][0] != pytest.approx(out[path][k][0], abs=1e-9) for k in out[path])
    num_train = len(knn.load_split(scenes_root, 'train', 8)[1])
    whole = knn.main([other, '--data', scenes_root, '--size', '32', '--dict-size',
                      str(num_train), '--topk', '1', '--banks', '1'])[other][1]
    precision, chance, near_ties = _nearest_neighbour_precision(other, scenes_root, 32)
    assert whole == pytest.approx((precision, chance), abs=near_ties + 1e-6)
    capsys.readouterr()
    _, val_hot = knn.load_split(scenes_root, 'val', 32)
    _, train_hot = knn.load_split(scenes_root, 'train', 32)
    oracle = [torch.nn.functional.normalize(torch.from_numpy(h) + 1e-3, dim=1)
              for h in (val_hot, train_hot)]
    precision, chance = knn.label_precision(oracle[0], torch.from_numpy(val_hot), oracle[1],
                                            torch.from_numpy(train_hot), topk=1)
    assert precision == 1.0 and chance < 0.9
    with pytest.raises(ValueError, match='--dict-size 65 must be at least'):
        knn.main(['random', '--data', scenes_root, '--size', '32', '--dict-size', '65'])
    with pytest.raises(ValueError, match='--dict-size 8 must be at least the largest --topk'):
        knn.main(['random', '--data', scenes_root, '--size', '32', '--dict-size', '8'])
    assert 'precision' not in capsys.readouterr().out  # refused before the table's header
    headless = str(tmp_path / 'no_backbone.pth')
    torch.save({'state_dict': {'conv1.weight': torch.zeros(1)}}, headless)
    with pytest.raises(ValueError, match=f'{headless}: no backbone'):
        knn.main([headless, '--data', scenes_root, '--size', '32', '--dict-size', '32'])
