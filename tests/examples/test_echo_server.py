"""examples/echo-server: the seed's echo server, its retries and its Ctrl-C."""
import os
import signal
import socket
import sys
import time

from harness import Proc, Skip, connect, connect_unix, free_port, recv_exactly, run

EXE = sys.argv[1]


def stop_with_sigint(p):
    p.signal(signal.SIGINT)
    assert p.wait() == 0, "Ctrl-C must close the server and exit 0"
    p.expect(r"SIGINT: closing", "err")


def talk(s, p):
    assert recv_exactly(s, 7) == b"hello\r\n"
    p.expect(r"^server connected$")
    s.sendall(b"echo me\n")
    assert recv_exactly(s, 8) == b"echo me\n"
    s.shutdown(socket.SHUT_WR)
    assert s.recv(100) == b"", "the server ends its side after the client's FIN (pipe end)"
    p.expect(r"^server disconnected$")
    s.close()


def test_no_argument_listens_on_port_8124_of_localhost(tmp):
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", 8124))
    except OSError:
        raise Skip("port 8124 is taken on this machine")
    finally:
        probe.close()
    p = Proc([EXE])
    p.expect(r"^server bound$")
    talk(connect(8124), p)
    stop_with_sigint(p)


def test_a_port_argument_listens_there_and_echoes(tmp):
    port = free_port()
    p = Proc([EXE, str(port)])
    p.expect(r"^server bound$")
    talk(connect(port), p)
    stop_with_sigint(p)


def test_sigint_with_connections_open_destroys_them_and_exits_0(tmp):
    port = free_port()
    p = Proc([EXE, str(port)])
    p.expect(r"^server bound$")
    clients = [connect(port) for _ in range(3)]
    for c in clients:
        assert recv_exactly(c, 7) == b"hello\r\n"
    stop_with_sigint(p)
    for c in clients:
        assert c.recv(100) == b""


def test_a_path_argument_listens_on_a_unix_socket(tmp):
    path = os.path.join(tmp, "echo.sock")
    p = Proc([EXE, path])
    p.expect(r"^server bound$")
    talk(connect_unix(path), p)
    stop_with_sigint(p)
    assert not os.path.exists(path), "close removes the socket file, as Node does"


def test_a_stale_socket_file_is_detected_removed_and_the_server_recovers(tmp):
    path = os.path.join(tmp, "echo.sock")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()  # the file stays, nobody listens
    p = Proc([EXE, path])
    p.expect(r"stale socket file \(connection refused\): removing it", "err")
    p.expect(r"^server recovered$")
    talk(connect_unix(path), p)
    stop_with_sigint(p)


def test_a_socket_path_with_a_live_server_gives_up_with_status_1(tmp):
    path = os.path.join(tmp, "echo.sock")
    first = Proc([EXE, path])
    first.expect(r"^server bound$")
    second = Proc([EXE, path])
    second.expect(r"^Server running, giving up\.\.\.$")
    assert second.wait() == 1
    talk(connect_unix(path), first)  # the first one is untouched
    stop_with_sigint(first)


def test_address_in_use_is_retried_every_second_until_it_is_free(tmp):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    p = Proc([EXE, str(port)])
    t0 = time.monotonic()
    p.expect(r"^Address in use, retrying\.\.\.$")
    p.expect(r"^Address in use, retrying\.\.\.$")
    assert time.monotonic() - t0 >= 0.9, "retries are a second apart"
    holder.close()
    p.expect(r"^server bound$", timeout=5)
    talk(connect(port), p)
    stop_with_sigint(p)


def test_address_in_use_after_five_retries_exits_1_with_a_message(tmp):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    p = Proc([EXE, str(port)])
    assert p.wait(timeout=15) == 1
    out = p.drain("out")
    assert out.count("Address in use, retrying...") == 5, out
    p.expect(r"listen: address already in use", "err")
    holder.close()


def test_sigint_during_a_retry_wait_exits_0_at_once(tmp):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    p = Proc([EXE, str(holder.getsockname()[1])])
    p.expect(r"^Address in use, retrying\.\.\.$")
    t0 = time.monotonic()
    stop_with_sigint(p)
    assert time.monotonic() - t0 < 0.9, "the retry timer must not hold the exit"
    holder.close()


def test_a_client_reset_is_one_line_on_stderr_and_the_server_goes_on(tmp):
    port = free_port()
    p = Proc([EXE, str(port)])
    p.expect(r"^server bound$")
    s = connect(port)
    assert recv_exactly(s, 7) == b"hello\r\n"
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.sendall(b"x")
    time.sleep(0.1)
    s.close()  # RST
    p.expect(r"client: ECONNRESET", "err")
    talk(connect(port), p)
    stop_with_sigint(p)
    assert not any("unhandled" in line for line in p.drain("err"))


run([
    test_no_argument_listens_on_port_8124_of_localhost,
    test_a_port_argument_listens_there_and_echoes,
    test_sigint_with_connections_open_destroys_them_and_exits_0,
    test_a_path_argument_listens_on_a_unix_socket,
    test_a_stale_socket_file_is_detected_removed_and_the_server_recovers,
    test_a_socket_path_with_a_live_server_gives_up_with_status_1,
    test_address_in_use_is_retried_every_second_until_it_is_free,
    test_address_in_use_after_five_retries_exits_1_with_a_message,
    test_sigint_during_a_retry_wait_exits_0_at_once,
    test_a_client_reset_is_one_line_on_stderr_and_the_server_goes_on,
])
