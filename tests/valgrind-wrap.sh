#!/bin/sh
# Runs a test executable under memcheck. Criterion runs each test in a child process and
# judges it by its own protocol, not by the child's exit code, so valgrind's
# --error-exitcode alone would let a leak in a test pass: every process writes its own
# log, and any error or leak in any of them fails the run.
logdir=$(mktemp -d "${TMPDIR:-/tmp}/eddy-vg.XXXXXX") || exit 2
valgrind --trace-children=yes --trace-children-skip="*/true,*/sh,*/bash,*/dash,*/node,*/python3*,*/env" --child-silent-after-fork=no --leak-check=full \
    --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
    --track-fds=yes --error-exitcode=99 --log-file="$logdir/vg.%p" "$@"
rc=$?
bad=$(grep -l -E 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]|possibly lost: [1-9]' "$logdir"/vg.* 2>/dev/null)
if [ -n "$bad" ]; then
    for f in $bad; do echo "== valgrind: $f"; cat "$f"; done
    rm -rf "$logdir"
    exit 99
fi
rm -rf "$logdir"
exit $rc
