#!/usr/bin/env bash
# Installs the pinned OpenMMLab stack into ./.venv, idempotently, with visible progress.
#
#   bash tools/install.sh             # (called by `make demo` and `make test`)
#   bash tools/install.sh --dry-run   # print what it would install / build and why; changes nothing
#
# The only slow step is mmcv 2.1.0 with its compiled ops, which has no wheel on PyPI: it is
# built once from the sdist and the wheel is kept in a cache outside the clone
# ($MLS_MM_WHEEL_CACHE, default ~/.cache/mls_mm/wheels/<versions>-<cpu|cu<ver>-arch<list>>), so
# later installs on the same machine take seconds. A stamp file records what was installed; a
# second run with the same pins installs nothing.
#
# Which mmcv ops are built follows what the machine has:
#   - CPU ops when torch sees no GPU (the GPU is also hidden from the build, so mmcv's setup.py,
#     which compiles CUDA code whenever torch.cuda.is_available(), cannot pick CUDA);
#   - CUDA ops when torch sees a GPU and an nvcc of torch's CUDA version (major.minor) exists,
#     for the visible GPUs' compute capabilities (TORCH_CUDA_ARCH_LIST, unless you set it);
#   - a stop with the fix when torch sees a GPU but no matching nvcc exists.
#
# Environment variables:
#   MLS_MM_MMCV_BUILD=auto|cpu|cuda  force the mmcv build (default auto, as above)
#   MLS_MM_TORCH_SPEC="torch==X torchvision==Y"  the torch build to install (default the pins);
#                                    the stack is then checked against the declared ranges
#   MLS_MM_TORCH_INDEX_URL=URL       pip index for torch, e.g. https://download.pytorch.org/whl/cu121
#   MLS_MM_USE_EXISTING_STACK=1      no venv, no installs: `pip install --no-deps -e .` into
#                                    $PYTHON (skip with MLS_MM_SKIP_EDITABLE=1), then
#                                    tools/check_stack.py --existing-stack
#   MLS_MM_INSTALL_DRY_RUN=1         the same as --dry-run
#   MLS_MM_SIM_TORCH_VERSION, MLS_MM_SIM_TORCH_CUDA (e.g. 12.1 or none), MLS_MM_SIM_GPU_CAPS
#   (e.g. "8.0,9.0" or empty), MLS_MM_SIM_NVCC (e.g. 12.1 or none): a simulated machine, for
#   --dry-run only
#   MLS_MM_MIN_FREE_MB=MB            the free disk space a first install asks for next to the venv
#                                    (default 9200: a first install with the mmcv wheel cached
#                                    took 6,360 MB at its peak where pip finds the wheels on the
#                                    machine's disk, and left a 6,294 MB venv, 5.3 GB of it
#                                    torch's CUDA build with triton, measured; downloaded, those
#                                    wheels add 2,820 MB while pip installs them (their sizes).
#                                    Only the venv's disk is checked: pip's temporary files, its
#                                    cache and the mmcv build go to $TMPDIR and ~/.cache, which are
#                                    assumed to share it. 0 skips the check)
#   MLS_MM_VENV, MLS_MM_WHEEL_CACHE, PYTHON, MAX_JOBS, TORCH_CUDA_ARCH_LIST, CUDA_HOME
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MLS_MM_VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3}"

TORCH=2.14.1
TORCHVISION=0.29.1
MMCV=2.1.0

step() { printf '\n[install] %s\n' "$*"; }
say() { printf '[install] %s\n' "$*"; }
die() { printf '[install] %s\n' "$*" >&2; exit 1; }

DRY_RUN="${MLS_MM_INSTALL_DRY_RUN:-0}"
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$arg' (usage: bash tools/install.sh [--dry-run])" ;;
  esac
done
SIMULATED=0
if [ -n "${MLS_MM_SIM_TORCH_VERSION+x}${MLS_MM_SIM_TORCH_CUDA+x}${MLS_MM_SIM_GPU_CAPS+x}${MLS_MM_SIM_NVCC+x}" ]; then
  [ "$DRY_RUN" = 1 ] || die "MLS_MM_SIM_* variables simulate a machine for --dry-run only; unset them to install"
  SIMULATED=1
fi

TORCH_SPEC="${MLS_MM_TORCH_SPEC:-torch==$TORCH torchvision==$TORCHVISION}"
read -r -a TORCH_REQS <<< "$TORCH_SPEC"
CHECK_ARG=''  # check_stack.py: the pins, or the declared ranges when torch is not the pinned one
[ -z "${MLS_MM_TORCH_SPEC:-}" ] || CHECK_ARG=--existing-stack

# ---- an environment that already has torch, mmcv and the OpenMMLab packages ----
if [ "${MLS_MM_USE_EXISTING_STACK:-0}" = 1 ]; then
  EDITABLE=("$PYTHON_BIN" -m pip install --no-deps -e "$ROOT")
  if [ "$DRY_RUN" = 1 ]; then
    say "dry run: nothing is installed or built (MLS_MM_USE_EXISTING_STACK=1: no virtual environment)"
    [ "${MLS_MM_SKIP_EDITABLE:-0}" = 1 ] || say "would run: ${EDITABLE[*]}"
    say "would run: $PYTHON_BIN $ROOT/tools/check_stack.py --existing-stack"
    exit 0
  fi
  if [ "${MLS_MM_SKIP_EDITABLE:-0}" != 1 ]; then
    step "mls_mm itself (editable, no dependencies) into $PYTHON_BIN"
    "${EDITABLE[@]}"
  fi
  step "checking the existing stack against the declared ranges"
  exec "$PYTHON_BIN" "$ROOT/tools/check_stack.py" --existing-stack
fi

PY_TAG="$("$PYTHON_BIN" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
CACHE_BASE="${MLS_MM_WHEEL_CACHE:-$HOME/.cache/mls_mm/wheels}"
STAMP="$VENV/.mls_mm_stack"

# ---- what the machine has ----
T_VER=''; T_CUDA=''; CAPS=''; NVCC=''; NVCC_VER=''
probe_torch() {  # $1: a python. Prints "VERSION CUDA CAPS" (CUDA none: CPU-only torch; CAPS -: no GPU)
  "$1" - <<'EOF' 2>/dev/null
import torch
caps = []
if torch.cuda.is_available():
    caps = sorted({'%d.%d' % torch.cuda.get_device_capability(i)
                   for i in range(torch.cuda.device_count())})
print(torch.__version__.split('+')[0], torch.version.cuda or 'none', ','.join(caps) or '-')
EOF
}
find_nvcc() {  # the nvcc torch's cpp_extension would use: CUDA_HOME / CUDA_PATH, PATH, /usr/local/cuda
  local candidate
  for candidate in "${CUDA_HOME:-}/bin/nvcc" "${CUDA_PATH:-}/bin/nvcc" \
                   "$(command -v nvcc 2>/dev/null || true)" /usr/local/cuda/bin/nvcc; do
    if [ "$candidate" != /bin/nvcc ] && [ -x "$candidate" ]; then echo "$candidate"; return; fi
  done
}
probe_machine() {  # sets T_VER T_CUDA CAPS NVCC NVCC_VER from $1 (a python) or the simulation
  if [ "$SIMULATED" = 1 ]; then
    T_VER="${MLS_MM_SIM_TORCH_VERSION:-$TORCH}"; T_CUDA="${MLS_MM_SIM_TORCH_CUDA:-none}"
    CAPS="${MLS_MM_SIM_GPU_CAPS:--}"; NVCC_VER="${MLS_MM_SIM_NVCC:-none}"; NVCC='simulated'
    return
  fi
  local probe
  probe="$(probe_torch "$1" || true)"
  [ -n "$probe" ] || return 0
  read -r T_VER T_CUDA CAPS <<< "$probe"
  NVCC="$(find_nvcc)"
  NVCC_VER=none
  if [ -n "$NVCC" ]; then
    NVCC_VER="$("$NVCC" --version 2>/dev/null | sed -n 's/.*release \([0-9]*\.[0-9]*\).*/\1/p' | head -1)"
    NVCC_VER="${NVCC_VER:-none}"
  fi
}
major_minor() { echo "$1" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p'; }

# ---- which mmcv build, and why ----
BUILD=''; WHY=''; ARCH=''; KEY=''; DECISION_ERROR=''
decide() {
  local mode="${MLS_MM_MMCV_BUILD:-auto}"
  BUILD=''; WHY=''; ARCH=''; KEY=''; DECISION_ERROR=''
  case "$mode" in
    auto|cpu|cuda) ;;
    *) DECISION_ERROR="MLS_MM_MMCV_BUILD=$mode: use auto, cpu or cuda"; return ;;
  esac
  if [ "$mode" = cpu ]; then
    BUILD=cpu; WHY='MLS_MM_MMCV_BUILD=cpu'
  elif [ "$mode" = auto ] && [ "$CAPS" = - ]; then
    BUILD=cpu; WHY="torch $T_VER sees no GPU"
  elif [ "$T_CUDA" = none ]; then
    DECISION_ERROR="MLS_MM_MMCV_BUILD=cuda, but torch $T_VER is a CPU-only build. Fix: install a CUDA build of torch (MLS_MM_TORCH_SPEC / MLS_MM_TORCH_INDEX_URL), or set MLS_MM_MMCV_BUILD=cpu"
  elif [ "$NVCC_VER" = none ] || [ "$(major_minor "$NVCC_VER")" != "$(major_minor "$T_CUDA")" ]; then
    local found="no nvcc was found (CUDA_HOME, CUDA_PATH, PATH, /usr/local/cuda)"
    [ "$NVCC_VER" = none ] || found="nvcc is CUDA $NVCC_VER ($NVCC)"
    local gpus="torch $T_VER (CUDA $T_CUDA) sees GPUs of compute capability ${CAPS//,/, }"
    [ "$CAPS" != - ] || gpus="MLS_MM_MMCV_BUILD=cuda asks for CUDA ops"
    DECISION_ERROR="$gpus, so mmcv's setup.py would compile its CUDA ops, which needs nvcc $(major_minor "$T_CUDA"), but $found. Fix, one of: install the CUDA $(major_minor "$T_CUDA") toolkit and put its nvcc first on PATH (or set CUDA_HOME); or set MLS_MM_MMCV_BUILD=cpu to build CPU-only ops (then mmcv's ops, e.g. nms / RoIAlign in the detectors, fail on GPU tensors; pretraining does not use them); or use OpenMMLab's prebuilt mmcv wheel for your torch/CUDA in an existing environment and MLS_MM_USE_EXISTING_STACK=1 (see docs/compatibility.md)"
  else
    BUILD=cuda
    ARCH="${TORCH_CUDA_ARCH_LIST:-${CAPS//,/;}}"
    if [ -z "$ARCH" ] || [ "$ARCH" = - ]; then
      DECISION_ERROR="MLS_MM_MMCV_BUILD=cuda, but torch sees no GPU to take the compute capabilities from. Fix: set TORCH_CUDA_ARCH_LIST, e.g. TORCH_CUDA_ARCH_LIST='8.0;9.0'"
      return
    fi
    WHY="torch $T_VER (CUDA $T_CUDA) sees GPUs (${CAPS//,/, }) and nvcc $NVCC_VER matches"
    [ "${MLS_MM_MMCV_BUILD:-auto}" = auto ] || WHY="MLS_MM_MMCV_BUILD=cuda, nvcc $NVCC_VER matches torch's CUDA $T_CUDA"
    [ -z "${TORCH_CUDA_ARCH_LIST:-}" ] || WHY="$WHY; TORCH_CUDA_ARCH_LIST set by you"
  fi
  if [ "$BUILD" = cpu ]; then
    KEY=cpu
  else
    KEY="cu${T_CUDA//./}-arch$(echo "$ARCH" | tr -c 'A-Za-z0-9.+\n' '_')"
  fi
}
wheel_ops() {  # $1: an mmcv wheel. Prints cuda if its compiled mmcv/_ext*.so has CUDA code, else cpu (none: no ops)
  "$PYTHON_BIN" - "$1" <<'EOF'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    exts = [n for n in wheel.namelist() if re.fullmatch(r'mmcv/_ext[^/]*\.so', n)]
    data = b''.join(wheel.read(n) for n in exts)
markers = (b'__cudaRegisterFatBinary', b'libcudart', b'cudaLaunchKernel', b'libtorch_cuda.so',
           b'libc10_cuda.so')
print('none' if not exts else 'cuda' if any(m in data for m in markers) else 'cpu')
EOF
}
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }
set_cache_dirs() {  # the wheel cache of this decision, and the one of the old key (no build kind)
  OLD_CACHE="$CACHE_BASE/mmcv${MMCV}-torch${T_VER}-${PY_TAG}-$(uname -m)"
  CACHE="$OLD_CACHE-$KEY"
}
wants_gui_opencv() {  # $1: a wheel. Succeeds if its metadata requires opencv-python (needs libGL)
  "$PYTHON_BIN" - "$1" <<'EOF'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    meta = [n for n in wheel.namelist() if n.endswith('.dist-info/METADATA')]
    text = wheel.read(meta[0]).decode() if meta else ''
sys.exit(0 if re.search(r'^Requires-Dist: *opencv-python *([<>=!~;(]|$)', text, re.M) else 1)
EOF
}
cached_wheel() {  # prints the cached mmcv wheel of this decision, unless it requires opencv-python
  local wheel
  wheel="$(ls "$CACHE"/mmcv-"$MMCV"-*.whl 2>/dev/null | head -1 || true)"
  [ -n "$wheel" ] && ! wants_gui_opencv "$wheel" && echo "$wheel"
  return 0
}
old_cpu_wheel() {  # prints the old-key wheel when the decision is CPU and that wheel has no CUDA code
  local old
  [ "$BUILD" = cpu ] || return 0
  [ -z "$(cached_wheel)" ] || return 0
  old="$(ls "$OLD_CACHE"/mmcv-"$MMCV"-*.whl 2>/dev/null | head -1 || true)"
  [ -n "$old" ] && [ "$(wheel_ops "$old")" = cpu ] && ! wants_gui_opencv "$old" && echo "$old"
  return 0
}

want() { echo "torch=[$TORCH_SPEC] index=[${MLS_MM_TORCH_INDEX_URL:-}] mmcv=$MMCV build=$KEY $(sha1sum "$ROOT/requirements.txt" | cut -c1-12) $(sha1sum "$ROOT/pyproject.toml" | cut -c1-12)"; }

if [ "$SIMULATED" = 1 ]; then
  probe_machine ''
elif [ -x "$VENV/bin/python" ]; then
  probe_machine "$VENV/bin/python"
fi
[ -z "$T_VER" ] || decide

if [ "$DRY_RUN" != 1 ] && [ -n "$KEY" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want)" ]; then
  step "stack already installed in $VENV ($(cat "$STAMP")); checking it"
  "$VENV/bin/python" "$ROOT/tools/check_stack.py" ${CHECK_ARG:+"$CHECK_ARG"}
  exit 0
fi

if [ "$DRY_RUN" = 1 ]; then
  say "dry run: nothing is installed or built"
  say "would install into $VENV: pip tools, ${TORCH_REQS[*]}${MLS_MM_TORCH_INDEX_URL:+ (--index-url $MLS_MM_TORCH_INDEX_URL)}, mmcv $MMCV, requirements.txt, mls_mm (--no-deps -e .)"
  if [ -z "$T_VER" ]; then
    say "torch is not installed in $VENV yet: the mmcv build is decided after installing ${TORCH_REQS[*]}, from the GPUs that torch sees and the nvcc found ($(find_nvcc || true))"
    exit 0
  fi
  [ "$SIMULATED" = 0 ] || say "simulated machine (MLS_MM_SIM_*)"
  say "machine: torch $T_VER, torch CUDA $T_CUDA, GPUs visible to torch: ${CAPS/#-/none}, nvcc: $NVCC_VER${NVCC:+ ($NVCC)}"
  if [ -n "$DECISION_ERROR" ]; then
    printf '[install] STOP: %s\n' "$DECISION_ERROR" >&2
    exit 1
  fi
  set_cache_dirs
  say "mmcv $MMCV build: $BUILD ops ($WHY)"
  if [ "$BUILD" = cpu ]; then
    say "mmcv build environment: MMCV_WITH_OPS=1 FORCE_CUDA=0 CUDA_VISIBLE_DEVICES= (GPU hidden from setup.py)"
  else
    say "mmcv build environment: MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST='$ARCH'"
  fi
  say "wheel cache key: $(basename "$CACHE")"
  if [ -n "$(cached_wheel)" ]; then
    say "wheel cache: $CACHE has the wheel (no build)"
  elif ls "$CACHE"/mmcv-"$MMCV"-*.whl >/dev/null 2>&1; then
    say "wheel cache: the wheel in $CACHE requires opencv-python (built without cv2 present): would rebuild it with opencv-python-headless installed"
  elif [ -n "$(old_cpu_wheel)" ]; then
    say "wheel cache: would reuse $(old_cpu_wheel) (old key, its mmcv/_ext .so has no CUDA code) as $CACHE (no build)"
  else
    say "wheel cache: $CACHE is empty: would build mmcv $MMCV from the sdist"
  fi
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want)" ]; then
    say "stamp $STAMP matches: a real run would install nothing and only check the stack"
  fi
  exit 0
fi

if [ -z "$T_VER" ]; then  # a first install: torch and its CUDA libraries are still to come
  # shellcheck source=tools/disk_space.sh
  source "$ROOT/tools/disk_space.sh"
  require_free_mb 9200 "$VENV" "installing torch and the OpenMMLab stack into $VENV" \
      MLS_MM_VENV=... '[install]'
fi
if [ ! -x "$VENV/bin/python" ]; then
  step "creating virtual environment $VENV"
  "$PYTHON_BIN" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

step "pip and build tools (setuptools<81 keeps pkg_resources, which mmcv's setup.py imports)"
"${PIP[@]}" install -q --upgrade 'pip>=24' 'setuptools>=77,<81' wheel ninja 'numpy<2'

step "${TORCH_REQS[*]} (wheels from this machine's disk when present)${MLS_MM_TORCH_INDEX_URL:+ from $MLS_MM_TORCH_INDEX_URL}"
"${PIP[@]}" install --progress-bar off ${MLS_MM_TORCH_INDEX_URL:+--index-url "$MLS_MM_TORCH_INDEX_URL"} \
    "${TORCH_REQS[@]}"

probe_machine "$PY"
[ -n "$T_VER" ] || die "torch does not import in $VENV after installing ${TORCH_REQS[*]}"
decide
[ -z "$DECISION_ERROR" ] || die "STOP: $DECISION_ERROR"
set_cache_dirs
step "mmcv $MMCV build: $BUILD ops ($WHY); wheel cache $CACHE"

# OpenCV before mmcv and mmengine: both setup.py files leave opencv out of their requirements
# when cv2 imports at build time, so nothing pulls in opencv-python (which needs libGL). An
# opencv-python of an earlier install goes first: both packages write cv2/.
step "opencv-python-headless<4.11 (cv2 without libGL)"
if "$PY" -m pip show -q opencv-python >/dev/null 2>&1; then
  say "removing opencv-python (and any opencv-python-headless beside it, which shares cv2/)"
  "${PIP[@]}" uninstall -y -q opencv-python opencv-python-headless
fi
"${PIP[@]}" install -q 'opencv-python-headless<4.11'

step "mmengine 0.10.7, built from its sdist with cv2 present (PyPI's wheel requires opencv-python; its runtime requirements come with requirements.txt)"
# --force-reinstall: an earlier install's mmengine 0.10.7 from PyPI would count as installed
# --no-cache-dir: a wheel that pip's cache kept from a build without cv2 would require opencv-python
"${PIP[@]}" install -q --no-binary mmengine --no-build-isolation --force-reinstall --no-deps \
    --no-cache-dir mmengine==0.10.7

OLD_WHEEL="$(old_cpu_wheel)"
if [ -n "$OLD_WHEEL" ]; then
  # The old cache key (no build kind) was written by the CPU-only build of earlier versions of
  # this script; the wheel is reused only after checking its compiled ops have no CUDA code.
  step "reusing $OLD_WHEEL (old cache key; its mmcv/_ext .so has no CUDA code)"
  mkdir -p "$CACHE"
  ln -f "$OLD_WHEEL" "$CACHE"/ 2>/dev/null || cp "$OLD_WHEEL" "$CACHE"/
fi

STALE="$(ls "$CACHE"/mmcv-"$MMCV"-*.whl 2>/dev/null | head -1 || true)"
if [ -n "$STALE" ] && [ -z "$(cached_wheel)" ]; then
  step "the cached $(basename "$STALE") requires opencv-python (built without cv2 present): rebuilding"
  mv "$STALE" "$STALE.requires-opencv-python"
fi
if [ -z "$(cached_wheel)" ]; then
  if [ "$BUILD" = cpu ]; then
    BUILD_ENV=(MMCV_WITH_OPS=1 FORCE_CUDA=0 CUDA_VISIBLE_DEVICES=)
    step "building mmcv $MMCV with CPU ops from the sdist into $CACHE (12 to 25 minutes on 2 cores, once per machine)"
  else
    BUILD_CUDA_HOME="${CUDA_HOME:-$(dirname "$(dirname "$(readlink -f "$NVCC")")")}"
    [ -f "$BUILD_CUDA_HOME/include/cuda_runtime.h" ] \
        || die "STOP: no CUDA headers under $BUILD_CUDA_HOME (from nvcc $NVCC). Fix: set CUDA_HOME to the CUDA $NVCC_VER toolkit"
    BUILD_ENV=(MMCV_WITH_OPS=1 FORCE_CUDA=1 "TORCH_CUDA_ARCH_LIST=$ARCH" "CUDA_HOME=$BUILD_CUDA_HOME")
    step "building mmcv $MMCV with CUDA ops (arch $ARCH) from the sdist into $CACHE (much longer than the CPU build: an hour or more on few cores, once per machine)"
  fi
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  (cd "$WORK" && "${PIP[@]}" download --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV")
  tar -xzf "$WORK"/mmcv-"$MMCV".tar.gz -C "$WORK"
  SRC="$WORK/mmcv-$MMCV"
  if version_ge "$T_VER" 2.8; then
    # torch 2.14's ATen headers require C++20; mmcv 2.1.0 hard-codes c++14 / c++17.
    sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' "$SRC/setup.py"
    grep -q 'c++20' "$SRC/setup.py" || die "could not patch $SRC/setup.py for C++20"
  fi
  mkdir -p "$CACHE"
  LOG="$WORK/build.log"
  (cd "$WORK" && env "${BUILD_ENV[@]}" MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
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
    die "mmcv $MMCV build failed (log above, full log $LOG)"
  fi
  ls "$CACHE.partial"/mmcv-"$MMCV"-*.whl >/dev/null 2>&1 \
      || die "mmcv $MMCV build failed (no wheel in $CACHE.partial)"
  mv "$CACHE.partial"/mmcv-"$MMCV"-*.whl "$CACHE"/ && rm -rf "$CACHE.partial"
else
  step "mmcv $MMCV wheel found in cache $CACHE"
fi
"${PIP[@]}" install --no-deps --force-reinstall "$CACHE"/mmcv-"$MMCV"-*.whl


step "numpy<2 and the pure-Python OpenMMLab packages (requirements.txt)"
"${PIP[@]}" install --progress-bar off -r "$ROOT/requirements.txt"

step "mls_mm itself (editable; its declared ranges are not re-resolved: --no-deps)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

step "checking the stack"
"$PY" "$ROOT/tools/check_stack.py" ${CHECK_ARG:+"$CHECK_ARG"}
want > "$STAMP"
step "done: $VENV"
