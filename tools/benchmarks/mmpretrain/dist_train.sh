#!/usr/bin/env bash
# Usage: bash tools/benchmarks/mmpretrain/dist_train.sh CONFIG PRETRAIN GPUS [train.py options...]
# Converts PRETRAIN (a pretraining checkpoint or work_dir) into mmpretrain backbone weights
# checked against CONFIG (configs/benchmarks/classification/...: the fine-tuning configs of MLS
# Table 5 and their scenes twin), then fine-tunes CONFIG on GPUS processes (torchrun) from them.
set -euo pipefail
source "$(dirname "$0")/../transfer_common.sh"
dist_transfer mmpretrain "$@"
