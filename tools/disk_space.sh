#!/usr/bin/env bash
# Sourced by tools/install.sh and tools/test_old_torch.sh.
#   require_free_mb MB FOLDER WHAT MOVE
# Stops, before anything is written, when the disk that holds FOLDER (or its nearest existing
# parent) has less than MB megabytes free, saying how much it has, what WHAT needs it for and
# how to move it (MOVE, e.g. MLS_MM_VENV=...). MLS_MM_MIN_FREE_MB replaces MB (0 skips the check).
require_free_mb() {
    local need="${MLS_MM_MIN_FREE_MB:-$1}" dir=$2 what=$3 have
    [ "$need" -gt 0 ] || return 0
    while [ ! -d "$dir" ]; do dir="$(dirname "$dir")"; done
    have="$(df -Pm "$dir" | awk 'NR == 2 {print $4}')"
    if [ "$have" -lt "$need" ]; then
        printf 'STOP: %s needs about %s MB free on the disk of %s, which has %s MB free. Fix: free space there, or put the virtual environment on a larger disk (%s); MLS_MM_MIN_FREE_MB=0 skips this check\n' \
            "$what" "$need" "$2" "$have" "$4" >&2
        exit 1
    fi
}
