#!/bin/sh
# Runs a test executable built with -Db_sanitize=address,undefined. Criterion judges each
# test by its own protocol, not by the child's exit code, so a leak or a UBSan report in
# a test's process would not fail it: the sanitizers write to per-process logs, and any
# log at all fails the run.
logdir=$(mktemp -d "${TMPDIR:-/tmp}/eddy-san.XXXXXX") || exit 2
ASAN_OPTIONS="log_path=$logdir/asan:detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
UBSAN_OPTIONS="log_path=$logdir/ubsan:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
    "$@"
rc=$?
if [ -n "$(ls -A "$logdir")" ]; then
    for f in "$logdir"/*; do echo "== sanitizer: $f"; cat "$f"; done
    rm -rf "$logdir"
    exit 98
fi
rm -rf "$logdir"
exit $rc
