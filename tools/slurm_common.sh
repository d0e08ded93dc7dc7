#!/usr/bin/env bash
# Sourced by tools/slurm_train.sh and tools/slurm_test.sh.
#   srun_tasks PARTITION JOB_NAME TOOL [tool arguments...]
# Runs tools/TOOL with one task per GPU through srun: GPUS tasks (default 8), GPUS_PER_NODE per
# node (default GPUS up to 8), CPUS_PER_TASK (default 5), extra srun options in SRUN_ARGS; the
# interpreter is $PYTHON, else the clone's .venv, else python.
srun_tasks() {
    local partition=$1 job_name=$2 tool=$3
    shift 3
    local gpus=${GPUS:-8}
    local gpus_per_node=${GPUS_PER_NODE:-$(( gpus < 8 ? gpus : 8 ))}
    local root py
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    py="${PYTHON:-$root/.venv/bin/python}"
    [ -x "$py" ] || py=python
    # SRUN_ARGS is split into words on purpose (several srun options in one variable)
    # shellcheck disable=SC2086
    PYTHONPATH="$root:${PYTHONPATH:-}" \
    srun -p "$partition" \
        --job-name="$job_name" \
        --gres=gpu:"$gpus_per_node" \
        --ntasks="$gpus" \
        --ntasks-per-node="$gpus_per_node" \
        --cpus-per-task="${CPUS_PER_TASK:-5}" \
        --kill-on-bad-exit=1 \
        ${SRUN_ARGS:-} \
        "$py" -u "$root/tools/$tool" "$@"
}
