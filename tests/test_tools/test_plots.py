"""The picture tools write real PNGs: curves from a fixture work_dir, and the MLS neighbour grid
whose neighbours equal an independent top-k over features computed here."""
import glob
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from tools.analysis_tools import mls_neighbours, plot_curves

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def assert_png(path, min_side=200):
    assert osp.isfile(path)
    with open(path, 'rb') as f:
        assert f.read(8) == PNG_MAGIC
    assert osp.getsize(path) > 5000
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert min(im.size) >= min_side


def test_plot_curves(tmp_path):
    wd = tmp_path / 'runs' / 'pretrain' / 'mls'
    for ts, steps in (('20260101_000000', range(1, 9)), ('20260102_000000', range(5, 21))):
        os.makedirs(wd / ts / 'vis_data')
        lines = [dict(lr=0.1, loss=6 - s / 10, loss_nce=5 - s / 10, loss_ml=1.0, ml_bce=2.0,
                      pl_precision=0.4 + s / 100, pl_chance=0.4, time=1.0, epoch=(s - 1) // 4 + 1,
                      iter=s, step=s) for s in steps]
        lines += [{'knn/mAP': 30.0 + s, 'step': s} for s in steps if s % 4 == 0]
        lines += [{'multi-label/mAP': 40.0, 'time': 1.0, 'step': 5}] if ts.endswith('2_000000') \
            else []
        with open(wd / ts / 'vis_data' / 'scalars.json', 'w') as f:
            f.writelines(json.dumps(r) + '\n' for r in lines)
    panels = {p[0]: p[3] for p in plot_curves.curve_panels(str(wd))}
    assert panels == {'losses': ['loss', 'loss_ml', 'loss_nce'],
                      'pseudo-label precision vs chance': ['pl_precision', 'pl_chance'],
                      'other train scalars': ['ml_bce'], 'monitors': ['knn/mAP'],
                      'evaluation': ['multi-label/mAP']}
    os.makedirs(tmp_path / 'runs' / 'probe' / 'empty' / '20260101_000000')  # nothing logged
    written = plot_curves.main([str(tmp_path / 'runs'), '--out-dir', str(tmp_path / 'png')])
    assert written == [str(tmp_path / 'png' / 'pretrain_mls_curves.png')]
    assert_png(written[0])
    assert plot_curves.main([str(wd)]) == [str(wd / 'curves.png')]
    assert_png(str(wd / 'curves.png'))


def _images(files, size, mean, std):
    pix = np.stack([np.asarray(Image.open(f).convert('RGB').resize((size, size),
                                                                   Image.BILINEAR))
                    for f in files]).astype(np.float32)
    x = torch.from_numpy(pix).permute(0, 3, 1, 2)
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


@torch.no_grad()
def _g(backbone, x):
    return F.normalize(backbone(x)[-1].mean(dim=(2, 3)), dim=1)


def test_mls_neighbour_grid(tmp_path, scenes_root, repo_root):
    import mls_mm  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    from mls_mm.datasets.coco_utils import coco_image_labels, load_coco_json
    torch.manual_seed(0)
    config = sorted(glob.glob(osp.join(repo_root, 'configs/mls/mls_resnet18_*_scenes.py')))[0]
    cfg = Config.fromfile(config)
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model).eval()
    momentum = model.momentum_encoder.module
    with torch.no_grad():  # make the momentum encoder differ from the online one
        for p in momentum.parameters():
            p.add_(0.05 * torch.randn_like(p))
    # fill 32 rows of the stored dictionary with train keys and their labels
    coco = load_coco_json(osp.join(scenes_root, 'annotations/instances_train2017.json'))
    labels = coco_image_labels(coco)
    files = [osp.join(scenes_root, 'train2017', im['file_name']) for im in coco['images']]
    pre = cfg.model.get('data_preprocessor') or cfg.data_preprocessor  # as mmengine's Runner
    mean, std = pre.mean, pre.std
    size = cfg.crop_size
    bank_x = _images(files, size, mean, std)
    bank_g = _g(momentum[0], bank_x)
    hot = torch.zeros(len(files), 12)
    for i, im in enumerate(coco['images']):
        hot[i, labels[im['id']]] = 1
    model.queue.g[:32] = bank_g[:32]
    model.queue.labels[:32] = hot[:32]
    ckpt = str(tmp_path / 'mls.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)

    out = str(tmp_path / 'grid.png')
    res = mls_neighbours.main([config, ckpt, '--data-root', scenes_root, '--num-queries', '3',
                               '--topk', '4', '--out', out])
    assert_png(out)
    # independent: the online encoder for the queries, the momentum one for the bank
    vcoco = load_coco_json(osp.join(scenes_root, 'annotations/instances_val2017.json'))
    vfiles = [osp.join(scenes_root, 'val2017', vcoco['images'][i]['file_name'])
              for i in res['query_indices']]
    q_g = _g(model.backbone, _images(vfiles, size, mean, std))
    sims, want = (q_g @ bank_g.T).topk(4, dim=1)
    assert len(res['query_indices']) == 3 and res['bank_files'] == files
    assert torch.equal(res['neighbours'], want)
    torch.testing.assert_close(res['sims'], sims, rtol=1e-4, atol=1e-5)
    # the stored-dictionary check: top-4 among the 32 filled rows, labels shared
    vlabels = coco_image_labels(vcoco)
    q_hot = torch.zeros(3, 12)
    for row, i in enumerate(res['query_indices']):
        q_hot[row, vlabels[vcoco['images'][i]['id']]] = 1
    top = (q_g @ bank_g[:32].T).topk(4, dim=1).indices
    shared = (torch.einsum('qkc,qc->qk', hot[:32][top], q_hot) > 0).float().mean()
    assert res['stored_precision'][0] == pytest.approx(float(shared))
