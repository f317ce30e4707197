#!/usr/bin/env python3
"""An echo round trip with an echo server binary, for scripts/check-vendoring.sh.

    echo-roundtrip.py APP unix|tcp sigterm|client

The server is started on a UNIX socket in a fresh temporary directory, or on an
ephemeral TCP port of 127.0.0.1; its first line must be "server bound". A client reads
the greeting "hello\\r\\n", sends a line and reads it back. Then the server must exit with
status 0: after a SIGTERM (examples/echo-server.c), or by itself once its client has
gone (tests/firmware/echo_nostdio.c, which has no signal handling). Exits non-zero with
the failed assertion otherwise."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

app, mode, stop = sys.argv[1], sys.argv[2], sys.argv[3]
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
    if stop == "sigterm":
        p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=5)
    assert rc == 0, "exit status %d" % rc
finally:
    shutil.rmtree(tmp)
