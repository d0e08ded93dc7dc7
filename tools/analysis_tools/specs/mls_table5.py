# collect_results.py spec for MLS Table 5 (classification fine-tuning of COCO-pretrained R50):
#   .venv/bin/python tools/analysis_tools/collect_results.py \
#       --spec tools/analysis_tools/specs/mls_table5.py --root work_dirs --out work_dirs/table5.md
# Rows: the COCO pretraining runs (work_dirs/<config name>, as tools/dist_train.sh writes them);
# columns: the eight fine-tunings, each where tools/benchmarks/mmpretrain/dist_train.sh writes
# it (work_dirs/benchmarks/<fine-tuning config>/<pretraining run>). A run or metric that is not
# logged reads `missing`. No numbers are written into the method folders (no `folder` here).
root = 'work_dirs'
pretrain = dict(run='{method}', metrics=[])
methods = [
    dict(name='mocov2_resnet50_8xb32-coslr-200e_coco', title='MoCo v2 (COCO 200e)'),
    dict(name='simsiam_resnet50_8xb32-coslr-200e_coco', title='SimSiam (COCO 200e)'),
    dict(name='mls_resnet50_8xb32-coslr-400e_coco', title='MLS (COCO 400e)'),
    dict(name='bam_resnet50_2xb62-coslr-400e_coco', title='BAM (COCO 400e)'),
]
_finetune = 'benchmarks/resnet50_finetune-4xb16-coslr-120e_{}/{{method}}'
_top1 = [dict(name='top-1', keys=['accuracy/top1'])]
downstream = [
    dict(name='VOC07', run=_finetune.format('voc07'), task='Multi-Label Classification',
         dataset='VOC2007', metrics=[dict(name='mAP', keys=['multi-label/mAP'])]),
    dict(name='CUB', run=_finetune.format('cub'), task='Image Classification', dataset='CUB',
         metrics=_top1),
    dict(name='Flowers', run=_finetune.format('flowers102'), task='Image Classification',
         dataset='Flowers102', metrics=_top1),
    dict(name='Cars', run=_finetune.format('stanford-cars'), task='Image Classification',
         dataset='StanfordCars', metrics=_top1),
    dict(name='Aircraft', run=_finetune.format('fgvc-aircraft'), task='Image Classification',
         dataset='FGVCAircraft', metrics=_top1),
    dict(name='Indoor', run=_finetune.format('indoor67'), task='Image Classification',
         dataset='Indoor67', metrics=_top1),
    dict(name='Pets', run=_finetune.format('oxford-pets'), task='Image Classification',
         dataset='OxfordIIITPet', metrics=_top1),
    dict(name='DTD', run=_finetune.format('dtd'), task='Image Classification', dataset='DTD',
         metrics=_top1),
]
