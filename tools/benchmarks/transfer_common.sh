#!/usr/bin/env bash
# Sourced by tools/benchmarks/{mmdetection,mmsegmentation,mmpretrain}/*_train.sh, which call
# dist_transfer / slurm_transfer (below) with their conversion target.
#   prepare_transfer TARGET CONFIG PRETRAIN
# PRETRAIN is a pretraining checkpoint (.pth) or a pretraining work_dir (its last_checkpoint
# is used). Sets WORK_DIR (work_dirs/benchmarks/<config>/<pretraining run>, unless WORK_DIR is
# already set) and BACKBONE (WORK_DIR/backbone.pth, the online backbone converted for TARGET and
# checked key by key against every module of CONFIG that loads it), INIT_OPTS, the
# --cfg-options that make every CheckedPretrained module of CONFIG (the backbone; in C4 detectors
# also the res5 head, model.roi_head.shared_head) load exactly that file, and TRAIN_OPTS
# (--work-dir WORK_DIR and INIT_OPTS).
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
    local target=$1 config=$2 pretrain=$3 checkpoint run options_file
    checkpoint=$(resolve_checkpoint "$pretrain") || return 1
    run=$(basename "$(dirname "$checkpoint")")
    WORK_DIR=${WORK_DIR:-work_dirs/benchmarks/$(basename "$config" .py)/$run}
    BACKBONE="$WORK_DIR/backbone.pth"
    options_file="$WORK_DIR/backbone_cfg_options.txt"
    mkdir -p "$WORK_DIR"
    rm -f "$options_file"
    PYTHONPATH="$ROOT:${PYTHONPATH:-}" "$PY" "$ROOT/tools/model_converters/extract_backbone.py" \
        "$checkpoint" "$BACKBONE" --target "$target" --config "$config" \
        --cfg-options-out "$options_file" || return 1
    mapfile -t INIT_OPTS < "$options_file"
    if [ "${#INIT_OPTS[@]}" -eq 0 ]; then
        echo "error: no init_cfg options written to $options_file" >&2
        return 1
    fi
    INIT_OPTS=(--cfg-options "${INIT_OPTS[@]}")
    TRAIN_OPTS=(--work-dir "$WORK_DIR" "${INIT_OPTS[@]}")
}

# dist_transfer TARGET CONFIG PRETRAIN GPUS [train.py options...]: convert, then torchrun
dist_transfer() {
    local target=$1
    shift
    if [ $# -lt 3 ]; then
        echo "Usage: bash $0 CONFIG PRETRAIN GPUS [train.py options...]" >&2
        exit 2
    fi
    prepare_transfer "$target" "$1" "$2"
    bash "$ROOT/tools/dist_train.sh" "$1" "$3" "${TRAIN_OPTS[@]}" "${@:4}"
}

# slurm_transfer TARGET PARTITION JOB_NAME CONFIG PRETRAIN [train.py options...]: convert on
# the login node, then srun (tools/slurm_train.sh)
slurm_transfer() {
    local target=$1
    shift
    if [ $# -lt 4 ]; then
        echo "Usage: [GPUS=8] bash $0 PARTITION JOB_NAME CONFIG PRETRAIN [train.py options...]" >&2
        exit 2
    fi
    prepare_transfer "$target" "$3" "$4"
    bash "$ROOT/tools/slurm_train.sh" "$1" "$2" "$3" "$WORK_DIR" "${INIT_OPTS[@]}" "${@:5}"
}
