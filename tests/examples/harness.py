"""Runs an example as a process and talks to it over loopback.

Each test_*.py here is one meson test: it takes the example's path (and helper tools'
paths) as arguments, runs its test functions in order, and ends with Criterion's
synthesis line, which scripts/run-tests.sh adds to the suite's "N passed, N failed".
Every wait has a time limit; every process started is killed at the end, by its pid."""
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

_procs = []


class Proc:
    """A child process whose stdout and stderr lines are collected by reader threads."""

    def __init__(self, args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, cwd=None):
        self.args = args
        self.p = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                                  cwd=cwd)
        self.pid = self.p.pid
        self.lines = {"out": queue.Queue(), "err": queue.Queue()}
        self.seen = {"out": [], "err": []}
        if stdout == subprocess.PIPE:
            threading.Thread(target=self._read, args=(self.p.stdout, "out"), daemon=True).start()
        threading.Thread(target=self._read, args=(self.p.stderr, "err"), daemon=True).start()
        _procs.append(self)

    def _read(self, f, which):
        for raw in f:
            self.lines[which].put(raw.decode(errors="replace").rstrip("\n"))

    def expect(self, pattern, which="out", timeout=10.0):
        """The first line (from now on) that matches pattern, as a match object."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.args[0]}: no line matching {pattern!r} on std{which} "
                                     f"within {timeout}s; seen {self.seen[which]!r}")
            try:
                line = self.lines[which].get(timeout=left)
            except queue.Empty:
                continue
            self.seen[which].append(line)
            m = re.search(pattern, line)
            if m:
                return m

    def drain(self, which="err"):
        while True:
            try:
                self.seen[which].append(self.lines[which].get_nowait())
            except queue.Empty:
                return self.seen[which]

    def signal(self, signum):
        self.p.send_signal(signum)

    def wait(self, timeout=10.0):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.args[0]} still running after {timeout}s")


def kill_all():
    for proc in _procs:
        if proc.p.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.p.wait()
    _procs.clear()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def connect(port, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def connect_unix(path, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def recv_exactly(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise AssertionError(f"EOF after {len(buf)} of {n} bytes: {buf!r}")
        buf += chunk
    return buf


def recv_until_eof(s):
    parts = []
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def tool(name):
    """The path of a Debian tool the test needs, or None (the test is then skipped)."""
    return shutil.which(name)


class Skip(Exception):
    pass


def run(tests):
    passed = failed = 0
    tmp_root = tempfile.mkdtemp(prefix="eddy-ex-")
    for fn in tests:
        tmp = tempfile.mkdtemp(dir=tmp_root)
        t0 = time.monotonic()
        try:
            fn(tmp)
            passed += 1
            print(f"[PASS] {fn.__name__} ({time.monotonic() - t0:.2f}s)", flush=True)
        except Skip as e:
            passed += 1
            print(f"[SKIP] {fn.__name__}: {e}", flush=True)
        except Exception:
            failed += 1
            print(f"[FAIL] {fn.__name__}", flush=True)
            traceback.print_exc()
            for proc in _procs:
                print(f"  {proc.args}: stdout {proc.drain('out')!r} stderr {proc.drain('err')!r}")
        finally:
            kill_all()
    shutil.rmtree(tmp_root, ignore_errors=True)
    print(f"[====] Synthesis: Tested: {passed + failed} | Passing: {passed} | "
          f"Failing: {failed} | Crashing: 0", flush=True)
    sys.exit(1 if failed else 0)
