"""tools/test.py: --out dumps the predictions (.pkl) or the metrics (--out-item metrics), a bad
suffix or a missing file stops with an error naming it, and an http:// checkpoint loads as
mmengine loads URLs (served here from localhost)."""
import functools
import http.server
import json
import os.path as osp
import pickle
import threading

import pytest
import torch
from mmpretrain.registry import MODELS

from mls_mm.utils import load_config
from tools import test as test_tool

PROBE = ('configs/benchmarks/classification/scenes/'
         'resnet18_linear-probe-1xb64-coslr-5e_scenes-64px.py')
NUM_CLASSES = 12


def _options(scenes_root):
    return [
        'model.backbone.init_cfg=None',  # the weights come from the tested checkpoint
        f'test_dataloader.dataset.data_root={scenes_root}',
        'test_dataloader.batch_size=8',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    ]


def _checkpoint(repo_root, path, bias):
    """The probe model with a zero classifier and a chosen bias: every image then scores
    sigmoid(bias), which a randomly initialised head (bias 0 -> 0.5) would not."""
    cfg = load_config(osp.join(repo_root, PROBE), cfg_options={'model.backbone.init_cfg': None})
    model = MODELS.build(cfg.model)
    state = model.state_dict()
    state['head.fc.weight'] = torch.zeros_like(state['head.fc.weight'])
    state['head.fc.bias'] = bias.clone()
    torch.save({'state_dict': state, 'meta': {}}, path)
    return str(path)


def _run(repo_root, scenes_root, tmp_path, ckpt, *extra):
    argv = [osp.join(repo_root, PROBE), ckpt, '--work-dir', str(tmp_path / 'work'),
            *extra, '--cfg-options', *_options(scenes_root)]
    return test_tool.main(argv)


def _check_predictions(out, bias, num_val):
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    assert isinstance(preds, list) and len(preds) == num_val
    assert sorted(p['sample_idx'] for p in preds) == list(range(num_val))
    for p in preds:
        assert torch.allclose(p['pred_score'], torch.sigmoid(bias), atol=1e-6)
        assert p['gt_label'].numel() >= 1  # the image's multi-label ground truth came along


def test_out_pkl_writes_the_predictions_of_the_checkpoint(repo_root, scenes_root, tmp_path):
    bias = torch.linspace(-2, 2, NUM_CLASSES)
    ckpt = _checkpoint(repo_root, tmp_path / 'probe.pth', bias)
    out = tmp_path / 'results' / 'preds.pkl'
    metrics = _run(repo_root, scenes_root, tmp_path, ckpt, '--out', str(out))
    assert 'multi-label/mAP' in metrics
    _check_predictions(out, bias, num_val=16)

    out_json = tmp_path / 'metrics.json'
    metrics = _run(repo_root, scenes_root, tmp_path, ckpt, '--out', str(out_json),
                   '--out-item', 'metrics')
    with open(out_json) as f:
        assert json.load(f) == pytest.approx(metrics)


@pytest.mark.parametrize('extra, message', [
    (['--out', 'preds.json'], r'--out preds\.json: the pred .* \.pkl / \.pickle, not \.json'),
    (['--out', 'metrics.txt', '--out-item', 'metrics'], r'\.json / \.yaml .* not \.txt'),
    (['--out-item', 'metrics'], r'--out-item metrics needs --out FILE'),
])
def test_bad_out_is_refused_before_anything_runs(repo_root, tmp_path, extra, message):
    ckpt = tmp_path / 'c.pth'
    ckpt.write_bytes(b'')
    with pytest.raises(ValueError, match=message):
        test_tool.main([osp.join(repo_root, PROBE), str(ckpt), *extra])
    assert not (tmp_path / 'work').exists()


def test_missing_local_checkpoint_is_named(repo_root, tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='checkpoint not found: .*nope.pth'):
        test_tool.main([osp.join(repo_root, PROBE), missing])


def test_http_checkpoint_loads_from_a_local_server(repo_root, scenes_root, tmp_path,
                                                   monkeypatch):
    serve = tmp_path / 'serve'
    serve.mkdir()
    bias = torch.linspace(1, -1, NUM_CLASSES)
    _checkpoint(repo_root, serve / 'ckpt.pth', bias)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(serve))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))  # torch.hub's download dir
    for var in ('NO_PROXY', 'no_proxy'):
        monkeypatch.setenv(var, '127.0.0.1,localhost')
    try:
        url = f'http://127.0.0.1:{server.server_address[1]}/ckpt.pth'
        out = tmp_path / 'preds.pkl'
        _run(repo_root, scenes_root, tmp_path, url, '--out', str(out))
    finally:
        server.shutdown()
        server.server_close()
    _check_predictions(out, bias, num_val=16)
    # downloaded once into $TORCH_HOME, as torch.hub caches URLs
    assert osp.isfile(tmp_path / 'torch_home' / 'hub' / 'checkpoints' / 'ckpt.pth')
