#!/usr/bin/env bash
# Sourced by tools/install.sh and tools/test_old_torch.sh.
#   require_free_mb MB FOLDER WHAT MOVE PREFIX
# Stops, before anything is written, when the disk that holds FOLDER (or its nearest existing
# parent) has less than MB megabytes free, saying how much it has, what WHAT needs it for and
# how to move it (MOVE, e.g. MLS_MM_VENV=...); PREFIX starts the message (e.g. [install]).
# MLS_MM_MIN_FREE_MB replaces MB (0 skips the check).
require_free_mb() {
    local need="${MLS_MM_MIN_FREE_MB:-$1}" dir=$2 what=$3 move=$4 prefix=${5:-} have
    if ! [[ "$need" =~ ^[0-9]{1,9}$ ]]; then
        printf '%s STOP: MLS_MM_MIN_FREE_MB=%s: give a whole number of megabytes, at most 9 digits (0 skips the check)\n' \
            "$prefix" "$need" >&2
        exit 1
    fi
    [ "$need" -gt 0 ] || return 0
    case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
    while [ ! -d "$dir" ]; do dir="$(dirname -- "$dir")"; done
    have="$(df -Pm -- "$dir" 2>/dev/null | awk 'NR == 2 {print $4}')" || true
    if ! [[ "$have" =~ ^[0-9]+$ ]]; then
        printf '%s STOP: df could not read the free space of %s (for %s); MLS_MM_MIN_FREE_MB=0 skips this check\n' \
            "$prefix" "$dir" "$2" >&2
        exit 1
    fi
    if [ "$have" -lt "$need" ]; then
        printf '%s STOP: %s needs about %s MB free on the disk of %s, which has %s MB free. Fix: free space there, or put the virtual environment on a larger disk (%s); MLS_MM_MIN_FREE_MB=0 skips this check\n' \
            "$prefix" "$what" "$need" "$2" "$have" "$move" >&2
        exit 1
    fi
}
