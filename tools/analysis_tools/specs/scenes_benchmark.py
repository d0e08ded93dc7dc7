# collect_results.py spec for the scenes benchmark's table in the project README: the columns
# a reader compares (images seen, wall time, the final kNN monitor, probe mAP, detection AP),
# without the probe's thresholded CP ... OF1 (in the full table, results.md):
#   .venv/bin/python tools/analysis_tools/collect_results.py \
#       --spec tools/analysis_tools/specs/scenes_benchmark.py \
#       --seed-roots work_dirs/main_3seeds/seed_0 work_dirs/main_3seeds/seed_1 \
#                    work_dirs/main_3seeds/seed_2 --out work_dirs/main_3seeds/readme_table.md
root = 'work_dirs/main'
pretrain = dict(run='pretrain/{method}',
                metrics=[dict(name='kNN mAP', keys=['knn/mAP'])])
methods = [
    dict(name='mocov2', title='MoCo v2'),
    dict(name='simsiam', title='SimSiam'),
    dict(name='mls', title='MLS'),
    dict(name='bam', title='BAM'),
    dict(name='random', title='random init', pretrain=False),
]
downstream = [
    dict(name='probe', run='probe/{method}', task='Multi-Label Classification',
         metrics=[dict(name='mAP', keys=['multi-label/mAP'])]),
    dict(name='transfer', run='transfer/{method}', task='Object Detection', metrics=[
        dict(name='box AP', keys=['coco/bbox_mAP'], scale=100, digits=1),
        dict(name='box AP50', keys=['coco/bbox_mAP_50'], scale=100, digits=1),
        dict(name='mask AP', keys=['coco/segm_mAP'], scale=100, digits=1,
             task='Instance Segmentation')]),
]
