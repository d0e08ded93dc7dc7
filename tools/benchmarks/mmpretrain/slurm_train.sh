#!/usr/bin/env bash
# Usage: [GPUS=4] [GPUS_PER_NODE=4] bash tools/benchmarks/mmpretrain/slurm_train.sh PARTITION JOB_NAME CONFIG PRETRAIN [train.py options...]
# As dist_train.sh, through srun (tools/slurm_train.sh); the conversion runs on the login node.
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "Usage: [GPUS=4] bash tools/benchmarks/mmpretrain/slurm_train.sh PARTITION JOB_NAME CONFIG PRETRAIN [train.py options...]" >&2
    exit 2
fi
source "$(dirname "$0")/../transfer_common.sh"
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
PRETRAIN=$4
prepare_transfer mmpretrain "$CONFIG" "$PRETRAIN"
bash "$ROOT/tools/slurm_train.sh" "$PARTITION" "$JOB_NAME" "$CONFIG" "$WORK_DIR" \
    "${INIT_OPTS[@]}" "${@:5}"
