#!/usr/bin/env bash
# Usage: bash tools/benchmarks/mmpretrain/dist_train.sh CONFIG PRETRAIN GPUS [train.py options...]
# Converts PRETRAIN (a pretraining checkpoint or work_dir) into mmpretrain backbone weights
# checked against CONFIG (configs/benchmarks/classification/...: the fine-tuning configs of MLS
# Table 5 and their scenes twin), then fine-tunes CONFIG on GPUS processes (torchrun) from them.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "Usage: bash tools/benchmarks/mmpretrain/dist_train.sh CONFIG PRETRAIN GPUS [train.py options...]" >&2
    exit 2
fi
source "$(dirname "$0")/../transfer_common.sh"
CONFIG=$1
PRETRAIN=$2
GPUS=$3
prepare_transfer mmpretrain "$CONFIG" "$PRETRAIN"
bash "$ROOT/tools/dist_train.sh" "$CONFIG" "$GPUS" "${TRAIN_OPTS[@]}" "${@:4}"
