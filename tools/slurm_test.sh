#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options...]
# Evaluation with one task per GPU through srun (tools/test.py --launcher slurm).
set -euxo pipefail
if [ $# -lt 4 ]; then
    echo "Usage: [GPUS=8] bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
source "$(dirname "$0")/slurm_common.sh"
srun_tasks "$PARTITION" "$JOB_NAME" test.py "$CONFIG" "$CHECKPOINT" --launcher slurm "$@"
