"""Loss and monitor curves of training runs, one PNG per run, from their ``scalars.json``.

Panels (empty ones are left out), all read by ``mls_mm.utils.results`` (launches of a resumed
run merged, a later launch replacing the steps it logged again):

1. ``loss`` and every ``loss_*`` against the iteration;
2. pseudo-label precision: ``pl_precision`` beside its chance level ``pl_chance`` (MLS);
3. the other scalars of the train lines (e.g. ``ml_bce``), ``lr``, ``time`` and the like left out;
4. monitors logged against the iteration outside the train lines (``--iter-keys``, default
   ``knn/mAP``);
5. evaluation metrics (``coco/bbox_mAP``, ``multi-label/mAP``, ...) against the step they were
   logged at (the epoch for by-epoch validation, the iteration otherwise).

Usage::

    python tools/analysis_tools/plot_curves.py work_dirs/main            # every run under it
    python tools/analysis_tools/plot_curves.py WORK_DIR [...] --out-dir curves/

Without ``--out-dir`` each run's PNG is ``WORK_DIR/curves.png``; with it,
``OUT_DIR/<run path relative to the given folder, '/' -> '_'>_curves.png``.
"""
import argparse
import os
import os.path as osp
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mls_mm.utils.results import eval_history, find_work_dirs, train_history  # noqa: E402

NOT_CURVES = {'lr', 'time', 'data_time', 'epoch', 'iter', 'step', 'memory', 'base_lr'}
PSEUDO_LABELS = ('pl_precision', 'pl_chance')


def _keys(records, accept):
    keys = []
    for record in records:
        keys += [k for k, v in record.items()
                 if k not in keys and isinstance(v, (int, float)) and accept(k)]
    return keys


def _series(records, key):
    points = [(r['step'], r[key]) for r in records if key in r and 'step' in r]
    return [p[0] for p in points], [p[1] for p in points]


def curve_panels(work_dir, iter_keys=('knn/mAP', )):
    """``[(title, x label, records, keys)]`` of the non-empty panels of one run."""
    train, evals = train_history(work_dir), eval_history(work_dir)
    is_loss = (lambda k: k == 'loss' or k.startswith('loss_'))
    losses = sorted(_keys(train, is_loss), key=lambda k: (k != 'loss', k))
    pseudo = [k for k in PSEUDO_LABELS if _keys(train, lambda x: x == k)]
    others = _keys(train, lambda k: k not in NOT_CURVES and not is_loss(k) and k not in pseudo)
    monitors = _keys(evals, lambda k: k in iter_keys)
    metrics = _keys(evals, lambda k: k not in NOT_CURVES and k not in iter_keys)
    panels = [('losses', 'iteration', train, losses),
              ('pseudo-label precision vs chance', 'iteration', train, pseudo),
              ('other train scalars', 'iteration', train, others),
              ('monitors', 'iteration', evals, monitors),
              ('evaluation', 'step logged (epoch, or iteration)', evals, metrics)]
    return [p for p in panels if p[3]]


def plot_run(work_dir: str, out_file: str, iter_keys=('knn/mAP', ), title=None) -> str:
    """Write the curves of one run to ``out_file`` (PNG); returns its path."""
    panels = curve_panels(work_dir, iter_keys)
    if not panels:
        raise ValueError(f'no scalars logged under {work_dir} (no <timestamp>/vis_data/'
                         'scalars.json or <timestamp>.log with scalars)')
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 2.6 * len(panels)), squeeze=False)
    for ax, (name, xlabel, records, keys) in zip(axes[:, 0], panels):
        for key in keys:
            xs, ys = _series(records, key)
            ax.plot(xs, ys, marker='.' if len(xs) < 30 else None, label=key,
                    linestyle='--' if key == 'pl_chance' else '-')
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc='best')
    fig.suptitle(title or work_dir, fontsize=9)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return out_file


def main(argv=None):
    parser = argparse.ArgumentParser(description='Loss and monitor curves, one PNG per run')
    parser.add_argument('paths', nargs='+', help='work_dirs, or folders holding work_dirs')
    parser.add_argument('--out-dir', help='folder for the PNGs (default: each work_dir)')
    parser.add_argument('--iter-keys', nargs='*', default=['knn/mAP'],
                        help='non-train scalars logged against the iteration')
    args = parser.parse_args(argv)
    written = []
    for path in args.paths:
        runs = find_work_dirs(path)
        if not runs:
            raise SystemExit(f'no run (no <timestamp> launch folder) at or under {path}')
        for wd in runs:
            rel = osp.relpath(wd, path)
            name = osp.basename(osp.abspath(path)) if rel == '.' else rel.replace(os.sep, '_')
            out = osp.join(args.out_dir, f'{name}_curves.png') if args.out_dir else \
                osp.join(wd, 'curves.png')
            try:
                written.append(plot_run(wd, out, tuple(args.iter_keys), title=wd))
                print(f'{wd} -> {out}')
            except ValueError as exc:
                print(f'skipped: {exc}')
    return written


if __name__ == '__main__':
    main()
