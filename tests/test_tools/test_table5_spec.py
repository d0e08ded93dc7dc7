"""The MLS Table 5 spec (tools/analysis_tools/specs/mls_table5.py) reads the fine-tuning runs
where tools/benchmarks/mmpretrain/dist_train.sh writes them: a logged top-1 appears in its
column, everything not logged reads `missing`."""
import os.path as osp
import subprocess
import sys

from test_collect_results import DOWN_CFG, PRE_CFG, train_lines, write_run

SPEC = 'tools/analysis_tools/specs/mls_table5.py'
MLS = 'mls_resnet50_8xb32-coslr-400e_coco'


def test_table5_spec_reads_the_launcher_work_dirs(repo_root, tmp_path):
    root = str(tmp_path / 'work_dirs')
    write_run(osp.join(root, MLS), {'20260101_000000': train_lines(2)}, MLS,
              PRE_CFG.format(e=400, b=32), world_size=8)
    cub = osp.join(root, 'benchmarks/resnet50_finetune-4xb16-coslr-120e_cub', MLS)
    write_run(cub, {'20260102_000000': train_lines(2) + [
        {'accuracy/top1': 71.6875, 'step': 4}]}, 'resnet50_finetune-4xb16-coslr-120e_cub',
        DOWN_CFG)
    voc = osp.join(root, 'benchmarks/resnet50_finetune-4xb16-coslr-120e_voc07', MLS)
    write_run(voc, {'20260103_000000': [{'multi-label/mAP': 85.25, 'step': 4}]},
              'resnet50_finetune-4xb16-coslr-120e_voc07', DOWN_CFG)
    out = str(tmp_path / 'table5.md')
    proc = subprocess.run([sys.executable, 'tools/analysis_tools/collect_results.py', '--spec',
                           SPEC, '--root', root, '--out', out], cwd=repo_root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = open(out).read().splitlines()
    head = [c.strip() for c in lines[0].strip('|').split('|')]
    rows = {r.split('|')[1].strip(): [c.strip() for c in r.strip('|').split('|')]
            for r in lines[2:] if r.startswith('|')}
    mls = dict(zip(head, rows['MLS (COCO 400e)']))
    assert mls['CUB top-1'] == '71.69' and mls['VOC07 mAP'] == '85.25'
    for column in ('Flowers top-1', 'Cars top-1', 'Aircraft top-1', 'Indoor top-1',
                   'Pets top-1', 'DTD top-1'):
        assert mls[column] == 'missing', column
    mocov2 = dict(zip(head, rows['MoCo v2 (COCO 200e)']))
    assert mocov2['CUB top-1'] == 'missing' and mocov2['Data'] == 'missing'
