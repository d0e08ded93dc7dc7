#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py options...]
# One task per GPU through srun; tools/train.py --launcher slurm reads the SLURM environment.
# WORK_DIR (default work_dirs/JOB_NAME) is the 4th argument only if it does not start with '-':
# `slurm_train.sh P J CONFIG --cfg-options k=v` passes --cfg-options on to tools/train.py.
# GPUS_PER_NODE defaults to GPUS up to 8 (so GPUS=4 asks for 4 GPUs on one node, not 8).
set -euxo pipefail
if [ $# -lt 3 ]; then
    echo "Usage: [GPUS=8] bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py options...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
if [ $# -ge 4 ] && [[ "$4" != -* ]]; then
    WORK_DIR=$4
    shift 4
else
    WORK_DIR=work_dirs/$JOB_NAME
    shift 3
fi
source "$(dirname "$0")/slurm_common.sh"
srun_tasks "$PARTITION" "$JOB_NAME" train.py "$CONFIG" --work-dir="$WORK_DIR" --launcher slurm "$@"
