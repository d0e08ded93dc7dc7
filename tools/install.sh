#!/usr/bin/env bash
# Installs the pinned OpenMMLab stack into ./.venv, idempotently, with visible progress.
#
#   bash tools/install.sh          # (called by `make demo` and `make test`)
#
# The only slow step is mmcv 2.1.0 with its CPU ops, which has no wheel on PyPI: it is built
# once from the sdist (with the C++20 fix torch 2.14's headers need) and the wheel is kept in
# a cache outside the clone ($MLS_MM_WHEEL_CACHE, default ~/.cache/mls_mm/wheels/<versions>),
# so later installs on the same machine take seconds. A stamp file records what was
# installed; a second run with the same pins installs nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MLS_MM_VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3}"

TORCH=2.14.1
TORCHVISION=0.29.1
MMCV=2.1.0
PY_TAG="$("$PYTHON_BIN" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
CACHE="${MLS_MM_WHEEL_CACHE:-$HOME/.cache/mls_mm/wheels}/mmcv${MMCV}-torch${TORCH}-${PY_TAG}-$(uname -m)"
STAMP="$VENV/.mls_mm_stack"
WANT="torch=$TORCH torchvision=$TORCHVISION mmcv=$MMCV $(sha1sum "$ROOT/requirements.txt" | cut -c1-12) $(sha1sum "$ROOT/pyproject.toml" | cut -c1-12)"

step() { printf '\n[install] %s\n' "$*"; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  step "stack already installed in $VENV ($WANT); checking it"
  "$VENV/bin/python" "$ROOT/tools/check_stack.py"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  step "creating virtual environment $VENV"
  "$PYTHON_BIN" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

step "pip and build tools (setuptools<81 keeps pkg_resources, which mmcv's setup.py imports)"
"${PIP[@]}" install -q --upgrade 'pip>=24' 'setuptools>=77,<81' wheel ninja 'numpy<2'

step "torch $TORCH + torchvision $TORCHVISION (wheels from this machine's disk when present)"
"${PIP[@]}" install --progress-bar off "torch==$TORCH" "torchvision==$TORCHVISION"

if ! ls "$CACHE"/mmcv-"$MMCV"-*.whl >/dev/null 2>&1; then
  step "building mmcv $MMCV with CPU ops from the sdist into $CACHE (12 to 25 minutes on 2 cores, once per machine)"
  BUILD="$(mktemp -d)"
  trap 'rm -rf "$BUILD"' EXIT
  (cd "$BUILD" && "${PIP[@]}" download --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV")
  tar -xzf "$BUILD"/mmcv-"$MMCV".tar.gz -C "$BUILD"
  SRC="$BUILD/mmcv-$MMCV"
  # torch 2.14's ATen headers require C++20; mmcv 2.1.0 hard-codes c++14 / c++17.
  sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' "$SRC/setup.py"
  grep -q 'c++20' "$SRC/setup.py" || { echo "[install] could not patch $SRC/setup.py for C++20" >&2; exit 1; }
  mkdir -p "$CACHE"
  LOG="$BUILD/build.log"
  (cd "$BUILD" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      "${PIP[@]}" wheel -v --no-build-isolation --no-deps -w "$CACHE.partial" "$SRC" \
      > "$LOG" 2>&1) &
  BUILD_PID=$!
  START=$SECONDS
  while kill -0 "$BUILD_PID" 2>/dev/null; do
    sleep 30
    echo "[install] mmcv build: $(find "$SRC" -name '*.o' 2>/dev/null | wc -l) objects compiled," \
         "$(( SECONDS - START ))s elapsed"
  done
  if ! wait "$BUILD_PID"; then
    tail -40 "$LOG" >&2
    echo "[install] mmcv $MMCV build failed (log above, full log $LOG)" >&2
    exit 1
  fi
  ls "$CACHE.partial"/mmcv-"$MMCV"-*.whl >/dev/null 2>&1 \
      || { echo "[install] mmcv $MMCV build failed (no wheel in $CACHE.partial)" >&2; exit 1; }
  mv "$CACHE.partial"/mmcv-"$MMCV"-*.whl "$CACHE"/ && rm -rf "$CACHE.partial"
else
  step "mmcv $MMCV wheel found in cache $CACHE"
fi
"${PIP[@]}" install --no-deps "$CACHE"/mmcv-"$MMCV"-*.whl


step "numpy<2, opencv<4.11 and the pure-Python OpenMMLab packages (requirements.txt)"
"${PIP[@]}" install --progress-bar off -r "$ROOT/requirements.txt"

step "mls_mm itself (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

step "checking the stack"
"$PY" "$ROOT/tools/check_stack.py"
echo "$WANT" > "$STAMP"
step "done: $VENV"
