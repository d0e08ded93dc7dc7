#!/usr/bin/env bash
# Usage: [GPUS=4] [GPUS_PER_NODE=4] bash tools/benchmarks/mmpretrain/slurm_train.sh PARTITION JOB_NAME CONFIG PRETRAIN [train.py options...]
# As dist_train.sh, through srun (tools/slurm_train.sh); the conversion runs on the login node.
set -euo pipefail
source "$(dirname "$0")/../transfer_common.sh"
slurm_transfer mmpretrain "$@"
