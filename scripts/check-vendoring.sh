#!/bin/sh
# The README's vendoring line, exactly, with gcc and with clang:
#     cc -std=c11 -Iinclude -Isrc src/*/*.c app.c -o app
# (app.c: examples/echo-server.c), then an echo round trip with each binary over a UNIX
# socket in a fresh temporary directory. Extra arguments are added to the line (CI runs it
# again with -Os -DEDDY_MINIMAL, over TCP on an ephemeral port, since the minimal build has
# no UNIX sockets). Ends with "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-vendoring}
mkdir -p "$BUILD"
EXTRA="$*"

passed=0
failed=0
for cc in gcc clang; do
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "FAIL $cc: not installed"
        failed=$((failed + 1))
        continue
    fi
    app="$BUILD/echo-server-$cc"
    # shellcheck disable=SC2086
    if ! "$cc" -std=c11 -Iinclude -Isrc src/*/*.c examples/echo-server.c -o "$app" $EXTRA \
        >"$BUILD/log.txt" 2>&1; then
        echo "FAIL $cc -std=c11 -Iinclude -Isrc src/*/*.c examples/echo-server.c $EXTRA"
        sed 's/^/     /' "$BUILD/log.txt"
        failed=$((failed + 1))
        continue
    fi
    case "$EXTRA" in
    *EDDY_MINIMAL* | *EDDY_NO_UNIX*) mode=tcp ;;
    *) mode=unix ;;
    esac
    if timeout 60 python3 - "$app" "$mode" <<'PY'; then
import os, shutil, signal, socket, subprocess, sys, tempfile, time
app, mode = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="eddy-vendoring-")
try:
    if mode == "unix":
        target = os.path.join(tmp, "echo.sock")
    else:
        probe = socket.socket()  # an ephemeral port the kernel just handed out
        probe.bind(("127.0.0.1", 0))
        target = str(probe.getsockname()[1])
        probe.close()
    p = subprocess.Popen([app, target], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    line = p.stdout.readline().decode()
    assert line.strip() == "server bound", "first line: %r" % line
    if mode == "unix":
        c = socket.socket(socket.AF_UNIX)
        c.connect(target)
    else:
        c = socket.create_connection(("127.0.0.1", int(target)))
    c.settimeout(5)
    got = b""
    while len(got) < 7:
        got += c.recv(100)
    assert got == b"hello\r\n", got
    c.sendall(b"echo me\n")
    got = b""
    while len(got) < 8:
        got += c.recv(100)
    assert got == b"echo me\n", got
    c.close()
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=5)
    assert rc == 0, "exit status %d" % rc
finally:
    shutil.rmtree(tmp)
PY
        echo "ok   $cc: built with the vendoring line, echo round trip ($mode)"
        passed=$((passed + 1))
    else
        echo "FAIL $cc: echo round trip ($mode)"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
