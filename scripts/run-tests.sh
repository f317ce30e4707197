#!/bin/sh
# Sets everything up, builds, and runs the whole test suite. Ends with the line
# "N passed, N failed". Extra arguments go to `meson setup` (e.g. -Db_sanitize=address,undefined).
# EDDY_TEST_NO_SUITE=name leaves out one meson suite (CI's valgrind stage: 'oldkernel').
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BUILD=$BUILD scripts/setup.sh "$@"
rm -f "$BUILD"/meson-logs/testlog*.txt # a failed build must not leave an old count behind
set +e
meson test -C "$BUILD" --print-errorlogs ${EDDY_TEST_WRAP:+--wrapper "$EDDY_TEST_WRAP"} \
    ${EDDY_TEST_TIMEOUT_MULTIPLIER:+-t "$EDDY_TEST_TIMEOUT_MULTIPLIER"} \
    ${EDDY_TEST_NO_SUITE:+--no-suite "$EDDY_TEST_NO_SUITE"}
rc=$?
set -e
# Criterion's per-executable synthesis lines, summed into one closing line.
# (meson names the log after the wrapper when there is one: take the newest)
log=$(ls -t "$BUILD"/meson-logs/testlog*.txt 2>/dev/null | head -n 1)
[ -n "$log" ] || log=/dev/null
python3 - "$log" <<'PY' || true
import re, sys
passed = failed = 0
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)", line)
    if m:
        passed += int(m.group(2)); failed += int(m.group(3)) + int(m.group(4))
print(f"{passed} passed, {failed} failed")
PY
exit $rc
