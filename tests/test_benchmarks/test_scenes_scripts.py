"""The scenes benchmark scripts run and print what their docstrings say."""
import os.path as osp
import subprocess
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_step_cost_prints_every_case():
    out = subprocess.run([sys.executable, 'tools/benchmarks/scenes_step_cost.py', '--views', '2',
                          '--repeats', '1', '--threads', '1'], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    for width, resolution in ((64, 64), (32, 64), (32, 32)):
        assert f'width {width:3d}  {resolution:3d} px: forward + backward' in out


def test_linear_separability_of_random_and_of_a_checkpoint(scenes_root, tmp_path):
    """``random`` and a checkpoint of the same random backbone give the same numbers (the
    checkpoint is loaded strictly, key by key); a checkpoint of another width is refused."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
    import scenes_linear_separability as sep
    from mmpretrain.models import ResNet
    torch.manual_seed(0)
    backbone = ResNet(depth=18, stem_channels=32, base_channels=32)
    path = str(tmp_path / 'backbone.pth')
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in backbone.state_dict().items()},
                    meta={}), path)
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
