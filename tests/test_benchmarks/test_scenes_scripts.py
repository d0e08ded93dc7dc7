"""The scenes benchmark scripts run and print what their docstrings say."""
import os.path as osp
import subprocess
import sys

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
    import pytest
    with pytest.raises(RuntimeError, match='size mismatch'):
        sep.main([str(tmp_path / 'wide.pth'), '--data', scenes_root, '--size', '32'])


def test_pipeline_clock_counts_each_transform_without_what_it_wraps():
    """A wrapper's own time excludes the transforms it calls: a wrapper that sleeps 20 ms and
    calls, twice, a transform that sleeps 30 ms owns about 20 ms; the inner one 60 ms."""
    import time

    from mmcv.transforms import BaseTransform
    sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
    from scenes_pipeline_cost import TransformClock

    class Inner(BaseTransform):
        def transform(self, results):
            time.sleep(0.03)
            return results

    class Outer(BaseTransform):
        def __init__(self):
            self.inner = Inner()

        def transform(self, results):
            time.sleep(0.02)
            return self.inner(self.inner(results))

    call = BaseTransform.__call__
    with TransformClock() as clock:
        Outer()(dict())
    assert BaseTransform.__call__ is call  # restored on exit
    assert 0.02 <= clock.own['Outer'] < 0.035
    assert 0.06 <= clock.own['Inner'] < 0.08


def test_pipeline_cost_prints_each_twin(scenes_root, capsys):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
    import scenes_pipeline_cost as cost
    totals = cost.main(['--data-root', scenes_root, '--images', '4'])
    out = capsys.readouterr().out
    assert set(totals) == set(cost.TWINS)
    for config in cost.TWINS:
        assert f'{osp.basename(config)}: {totals[config]:.0f} ms per step of 32 images' in out
    assert 'BlockWiseViews' in out and 'ColorJitter' in out and 'LoadImageFromFileStrict' in out
