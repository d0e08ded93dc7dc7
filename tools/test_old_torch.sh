#!/usr/bin/env bash
# The pretraining tests on the oldest torch this plugin supports, in a venv of its own:
#
#   bash tools/test_old_torch.sh        # (the second step of `make test`)
#
# torch 2.1.2 + torchvision 0.16.2 (the newest torch OpenMMLab's prebuilt mmcv 2.1.0 wheels
# exist for, and one without torch.serialization.add_safe_globals), mmengine 0.10.7,
# mmpretrain 1.2.0 and mmcv-lite 2.1.0: pretraining needs none of mmcv's compiled ops, so no
# build. About 2.6 GB of wheels from PyPI (torch's CUDA 12.1 build; it runs on the CPU) and
# 3 minutes of installing the first time (measured), then seconds: a stamp records the set.
# MLS_MM_OLD_TORCH_VENV overrides the venv (default .venv-torch2.1 in the clone). A first install
# stops at once if the venv's disk has less than 8,300 MB free (measured: 7,807 MB at the peak,
# sampled each second, while pip holds the downloaded wheels, then a 5,153 MB venv; 500 MB of
# margin); only the venv's disk is checked, pip's temporary files and cache are assumed to share
# it; MLS_MM_MIN_FREE_MB changes that figure (0 skips the check).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MLS_MM_OLD_TORCH_VENV:-$ROOT/.venv-torch2.1}"
PYTHON_BIN="${PYTHON:-python3}"
TORCH=2.1.2
TORCHVISION=0.16.2
# PyPI's wheels as most users have them: mmengine's wheel brings opencv-python (the pinned .venv
# has the headless build alone; docs/compatibility.md)
PACKAGES=("torch==$TORCH" "torchvision==$TORCHVISION" 'numpy<2' 'setuptools>=77,<81'
          mmengine==0.10.7 mmcv-lite==2.1.0 mmpretrain==1.2.0 'opencv-python<4.11'
          pycocotools==2.0.11 'pytest>=7.3')
STAMP="$VENV/.mls_mm_old_torch"
WANT="${PACKAGES[*]}"
# the tests of the pretraining path: models (MLS, BAM, queues, device moves, 2-process runs),
# datasets and transforms, the kNN monitor, checkpoint safety, tools/train.py runs with resume
TESTS=(tests/test_models tests/test_datasets tests/test_engine
       tests/test_stack/test_checkpoint_safety.py tests/test_tools/test_mocov2_resume.py
       tests/test_tools/test_mls_kill_resume.py tests/test_tools/test_bam_scenes_resume.py)

step() { printf '\n[old-torch] %s\n' "$*"; }

if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  if ! "$VENV/bin/python" -c 'import torch' >/dev/null 2>&1; then  # a first install
    # shellcheck source=tools/disk_space.sh
    source "$ROOT/tools/disk_space.sh"
    require_free_mb 8300 "$VENV" "installing torch $TORCH into $VENV" \
        MLS_MM_OLD_TORCH_VENV=... '[old-torch]'
  fi
  step "installing torch $TORCH and the pure-Python stack into $VENV (about 2.6 GB, once)"
  [ -x "$VENV/bin/python" ] || "$PYTHON_BIN" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade 'pip>=24'
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off "${PACKAGES[@]}"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
      --no-build-isolation -e "$ROOT"
  echo "$WANT" > "$STAMP"
fi
"$VENV/bin/python" -c "import torch, mls_mm; print('[old-torch] torch', torch.__version__, \
'add_safe_globals:', hasattr(torch.serialization, 'add_safe_globals'), 'mls_mm', mls_mm.__version__)"
step "pretraining tests on torch $TORCH"
cd "$ROOT"
"$VENV/bin/python" -m pytest -q "${TESTS[@]}"
