"""examples/chat, proxy, http-hello, pong and fdpass, each run as a process and talked to
over loopback. Arguments: the paths of chat, proxy, http-hello, pong, fdpass."""
import hashlib
import os
import re
import signal
import socket
import sys
import threading
import time

from harness import Proc, connect, connect_unix, recv_exactly, recv_until_eof, run

CHAT, PROXY, HTTP, PONG, FDPASS = sys.argv[1:6]


def listening_port(p):
    return int(p.expect(r"(?:port |:)(\d+)/?$").group(1))


def sigint_exits_0(p):
    p.signal(signal.SIGINT)
    assert p.wait() == 0


def read_line(s, buf):
    while b"\n" not in buf[0]:
        chunk = s.recv(4096)
        if not chunk:
            raise AssertionError(f"EOF, have {buf[0]!r}")
        buf[0] += chunk
    line, buf[0] = buf[0].split(b"\n", 1)
    return line.decode()


class Client:
    def __init__(self, port):
        self.s = connect(port)
        self.buf = [b""]

    def line(self):
        return read_line(self.s, self.buf)

    def until(self, pattern):
        while True:
            line = self.line()
            if re.search(pattern, line):
                return line


# ---- chat ----

def test_chat_broadcasts_lines_to_everyone_else(tmp):
    p = Proc([CHAT, "0"])
    port = listening_port(p)
    a, b, c = Client(port), Client(port), Client(port)
    a.until(r"welcome, guest1")
    b.until(r"welcome, guest2")
    c.until(r"welcome, guest3")
    a.s.sendall(b"/nick alice\nhello room\n")
    assert b.until(r"hello room") == "alice> hello room"
    assert c.until(r"hello room") == "alice> hello room"
    b.s.close()
    assert a.until(r"left") == "* guest2 left"
    sigint_exits_0(p)
    assert a.until(r"room closes")


def test_chat_disconnects_a_client_idle_for_its_timeout(tmp):
    p = Proc([CHAT, "-i", "1", "0"])
    port = listening_port(p)
    a = Client(port)
    t0 = time.monotonic()
    assert a.until(r"idle") == "* idle for 1 s: bye"
    assert 0.9 <= time.monotonic() - t0 < 5
    assert recv_until_eof(a.s) == b""
    p.expect(r"guest1 timed out")
    sigint_exits_0(p)


def test_chat_drops_a_slow_consumer_and_the_room_goes_on(tmp):
    p = Proc([CHAT, "-m", "100000", "0"])
    port = listening_port(p)
    slow = socket.create_connection(("127.0.0.1", port))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # and never reads
    fast, talker = Client(port), Client(port)
    fast.until(r"welcome")
    talker.until(r"welcome")
    line = b"x" * 1000 + b"\n"
    dropped = threading.Event()

    def read_fast():
        try:
            while not dropped.is_set():
                fast.line()
        except (AssertionError, OSError):
            pass  # the room closed at the end

    reader = threading.Thread(target=read_fast, daemon=True)
    reader.start()
    for _ in range(5000):
        talker.s.sendall(line)
        if any("guest1 dropped" in l for l in p.drain("out")):
            break
    deadline = time.monotonic() + 10
    while not any("guest1 dropped" in l for l in p.drain("out")):
        assert time.monotonic() < deadline, "the slow reader was never dropped"
        time.sleep(0.05)
    assert not any("guest2 dropped" in l or "guest3 dropped" in l for l in p.drain("out"))
    dropped.set()
    talker.s.sendall(b"still here\n")
    sigint_exits_0(p)


# ---- proxy ----

def upstream_counting_server(path=None):
    """Reads until EOF, then answers with the byte count and sha256, then closes: the
    answer only arrives if the client's half-close went through the proxy and the
    proxy still carries the other direction."""
    srv = socket.socket(socket.AF_UNIX if path else socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(path or ("127.0.0.1", 0))
    srv.listen()

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            h = hashlib.sha256()
            n = 0
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                h.update(chunk)
                n += len(chunk)
            c.sendall(b"%d %s\n" % (n, h.hexdigest().encode()))
            c.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv


def send_through(s, size):
    data = os.urandom(size)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    answer = recv_until_eof(s).decode().split()
    assert answer == [str(size), hashlib.sha256(data).hexdigest()], answer


def test_proxy_tcp_to_tcp_passes_the_half_close_and_the_answer_back(tmp):
    up = upstream_counting_server()
    p = Proc([PROXY, "0", str(up.getsockname()[1])])
    port = listening_port(p)
    for _ in range(3):
        send_through(connect(port), 8 << 20)
    sigint_exits_0(p)
    up.close()


def test_proxy_unix_to_tcp_and_tcp_to_unix(tmp):
    up_path = os.path.join(tmp, "up.sock")
    up = upstream_counting_server(up_path)
    p = Proc([PROXY, "0", up_path])
    send_through(connect(listening_port(p)), 4 << 20)
    up2 = upstream_counting_server()
    r = Proc([PROXY, os.path.join(tmp, "f2.sock"), str(up2.getsockname()[1])])
    r.expect(r"listening on")
    send_through(connect_unix(os.path.join(tmp, "f2.sock")), 4 << 20)
    sigint_exits_0(p)
    sigint_exits_0(r)
    up.close()
    up2.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def test_proxy_backpressure_holds_its_memory_while_the_target_does_not_read(tmp):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    p = Proc([PROXY, "0", str(srv.getsockname()[1])])
    port = listening_port(p)
    before = rss_kib(p.pid)
    client = connect(port)
    target, _ = srv.accept()  # never reads, for now
    client.setblocking(False)
    sent = 0
    deadline = time.monotonic() + 3
    chunk = b"y" * 65536
    while time.monotonic() < deadline and sent < 64 << 20:
        try:
            sent += client.send(chunk)
        except BlockingIOError:
            time.sleep(0.01)
    grown = rss_kib(p.pid) - before
    assert sent < 32 << 20, f"{sent} bytes went in although nobody reads: no backpressure"
    assert grown < 8 * 1024, f"the proxy grew by {grown} KiB"
    client.setblocking(True)
    target.settimeout(10)
    got = 0
    while got < sent:
        got += len(target.recv(1 << 20))
    assert got == sent
    sigint_exits_0(p)
    srv.close()


# ---- http-hello ----

REQ = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
REPLY = re.compile(rb"HTTP/1\.1 200 OK\r\n(?:[^\r\n]+\r\n)*\r\nHello, world\n")


def test_http_hello_keeps_the_connection_alive_and_answers_pipelined_requests(tmp):
    p = Proc([HTTP, "0"])
    port = listening_port(p)
    s = connect(port)
    for _ in range(3):
        s.sendall(REQ)
        head = b""
        while not REPLY.search(head):
            head += s.recv(4096)
    s.sendall(REQ * 50)
    data = b""
    while len(REPLY.findall(data)) < 50:
        data += s.recv(65536)
    s.sendall(REQ[:10])  # a request split across two writes
    time.sleep(0.05)
    s.sendall(REQ[10:])
    data = b""
    while not REPLY.search(data):
        data += s.recv(4096)
    sigint_exits_0(p)


def test_http_hello_closes_on_connection_close_and_on_http_1_0(tmp):
    p = Proc([HTTP, "0"])
    port = listening_port(p)
    for req in (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", b"GET / HTTP/1.0\r\n\r\n"):
        s = connect(port)
        s.sendall(req)
        data = recv_until_eof(s)
        assert data.endswith(b"Hello, world\n") and b"Connection: close" in data, data
    s = connect(port)
    s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + REQ)
    data = b""
    while len(REPLY.findall(data)) < 2:
        data += s.recv(4096)
    sigint_exits_0(p)


# ---- pong ----

def test_pong_answers_each_line_pipelined_or_split(tmp):
    p = Proc([PONG, "0"])
    port = listening_port(p)
    s = connect(port)
    s.sendall(b"PING\r\n" * 10000)
    assert recv_exactly(s, 7 * 10000) == b"+PONG\r\n" * 10000
    s.sendall(b"PI")
    time.sleep(0.05)
    s.sendall(b"NG\r\n")
    assert recv_exactly(s, 7) == b"+PONG\r\n"
    sigint_exits_0(p)


# ---- fdpass ----

def test_fdpass_the_child_serves_on_the_listening_socket_it_was_handed(tmp):
    p = Proc([FDPASS])
    m = p.expect(r"fdpass parent (\d+): listening on 127\.0\.0\.1 port (\d+)")
    parent_pid, port = int(m.group(1)), int(m.group(2))
    child_pid = int(p.expect(r"handed to child (\d+)").group(1))
    # the child's line and the parent's come from two processes, in either order
    deadline = time.monotonic() + 10
    while not any("fdpass child %d: serving" % child_pid in l for l in p.drain("out")):
        assert time.monotonic() < deadline, p.seen["out"]
        time.sleep(0.02)
    assert parent_pid != child_pid
    for _ in range(3):
        c = Client(port)
        assert c.line() == "hello from pid %d" % child_pid
        c.s.sendall(b"ping\n")
        assert c.line() == "ping"
        c.s.close()
    p.signal(signal.SIGINT)
    assert p.wait() == 0
    p.expect(r"child exited with status 0")


run([
    test_chat_broadcasts_lines_to_everyone_else,
    test_chat_disconnects_a_client_idle_for_its_timeout,
    test_chat_drops_a_slow_consumer_and_the_room_goes_on,
    test_proxy_tcp_to_tcp_passes_the_half_close_and_the_answer_back,
    test_proxy_unix_to_tcp_and_tcp_to_unix,
    test_proxy_backpressure_holds_its_memory_while_the_target_does_not_read,
    test_http_hello_keeps_the_connection_alive_and_answers_pipelined_requests,
    test_http_hello_closes_on_connection_close_and_on_http_1_0,
    test_pong_answers_each_line_pipelined_or_split,
    test_fdpass_the_child_serves_on_the_listening_socket_it_was_handed,
])
