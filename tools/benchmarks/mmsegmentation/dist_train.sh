#!/usr/bin/env bash
# Usage: bash tools/benchmarks/mmsegmentation/dist_train.sh CONFIG PRETRAIN GPUS [train.py options...]
# Converts PRETRAIN (a pretraining checkpoint or work_dir) into mmseg backbone weights checked
# against CONFIG, then fine-tunes CONFIG on GPUS processes (torchrun) starting from them.
set -euo pipefail
source "$(dirname "$0")/../transfer_common.sh"
dist_transfer mmseg "$@"
