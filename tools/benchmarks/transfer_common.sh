#!/usr/bin/env bash
# Sourced by tools/benchmarks/{mmdetection,mmsegmentation}/*_train.sh.
#   prepare_transfer TARGET CONFIG PRETRAIN
# PRETRAIN is a pretraining checkpoint (.pth) or a pretraining work_dir (its last_checkpoint
# is used). Sets WORK_DIR (work_dirs/benchmarks/<config>/<pretraining run>, unless WORK_DIR is
# already set) and BACKBONE (WORK_DIR/backbone.pth, the online backbone converted for TARGET and
# checked key by key against CONFIG's backbone), and TRAIN_OPTS, the --cfg-options that make the
# fine-tuning load exactly that file.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python

resolve_checkpoint() {
    local path=$1
    if [ -d "$path" ]; then
        if [ ! -f "$path/last_checkpoint" ]; then
            echo "error: pretraining work_dir $path has no last_checkpoint file" >&2
            return 1
        fi
        path=$(cat "$path/last_checkpoint")
    fi
    if [ ! -f "$path" ]; then
        echo "error: pretraining checkpoint not found: $path" >&2
        return 1
    fi
    echo "$path"
}

prepare_transfer() {
    local target=$1 config=$2 pretrain=$3 checkpoint run
    checkpoint=$(resolve_checkpoint "$pretrain") || return 1
    run=$(basename "$(dirname "$checkpoint")")
    WORK_DIR=${WORK_DIR:-work_dirs/benchmarks/$(basename "$config" .py)/$run}
    BACKBONE="$WORK_DIR/backbone.pth"
    mkdir -p "$WORK_DIR"
    PYTHONPATH="$ROOT:${PYTHONPATH:-}" "$PY" "$ROOT/tools/model_converters/extract_backbone.py" \
        "$checkpoint" "$BACKBONE" --target "$target" --config "$config" || return 1
    TRAIN_OPTS=(--work-dir "$WORK_DIR" --cfg-options
                "model.backbone.init_cfg.checkpoint=$BACKBONE" "model.backbone.init_cfg.prefix=")
}
