#!/usr/bin/env python3
"""Runs eddy's benchmark workloads against libuv, libevent, Node.js and a hand-written
epoll server, and writes bench/results/latest.md, latest.json and ratios.svg.

Started by bench/run (which installs the tools and builds); see README.md, "Benchmarks".
Counts (callgrind Ir, strace syscalls) are deterministic and measured once; time-based
figures are the median of RUNS runs in which the libraries alternate.

--guard (started by bench/guard, which CI runs) measures only eddy's two hot-path counts
and compares them with bench/baseline.json; see guard() below.
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf('SC_CLK_TCK')
PEERS = ['eddy', 'libuv', 'libevent', 'node', 'epoll']


def log(*a):
    print('[bench]', *a, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.smoke = args.smoke
        self.bdir = os.path.join(ROOT, args.build, 'bench')
        self.tmp = tempfile.mkdtemp(prefix='eddy-bench-')
        self.port = args.port
        self.results = {}  # metric -> {peer: value}
        self.notes = []
        self.failures = []
        self.runs = 1 if self.smoke else args.runs
        self.procs = []

    # ---- processes ----

    def server_argv(self, peer, mode, port, extra=()):
        b = self.bdir
        return {
            'eddy': [f'{b}/eddy_server', mode, str(port)],
            'libuv': [f'{b}/uv_server', mode, str(port)],
            'libevent': [f'{b}/event_server', mode, str(port)],
            'epoll': [f'{b}/epoll_server', mode, str(port)],
            'node': ['node', os.path.join(ROOT, 'bench/peers/node_server.js'), mode, str(port)],
        }[peer] + list(extra)

    def available(self, peer):
        argv = self.server_argv(peer, 'pong', 0)
        return shutil.which(argv[0]) is not None if peer == 'node' else os.path.exists(argv[0])

    def next_port(self):
        while True:
            self.port += 1
            with socket.socket() as s:
                try:
                    s.bind(('127.0.0.1', self.port))
                    return self.port
                except OSError:
                    continue

    def wait_port(self, port, proc, timeout=30.0):
        end = time.time() + timeout
        while time.time() < end:
            if proc.poll() is not None:
                raise RuntimeError(f'server exited with {proc.returncode}')
            try:
                with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f'nothing listens on port {port}')

    def start_server(self, peer, mode, wrapper=(), extra=()):
        port = self.next_port()
        argv = list(wrapper) + self.server_argv(peer, mode, port, extra)
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(
            os.path.join(self.tmp, f'{peer}-{mode}-{port}.log'), 'w'))
        self.procs.append(p)
        try:
            self.wait_port(port, p, 60 if wrapper else 15)
            if '--loops' in extra:
                time.sleep(0.3)  # one listener answered; let the other threads listen too
        except Exception:
            self.stop(p)
            raise
        return p, port

    def stop(self, p):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def cleanup(self):
        for p in list(self.procs):
            self.stop(p)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, argv, timeout=300, **kw):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
        if r.returncode != 0:
            raise RuntimeError(f'{" ".join(argv)}: exit {r.returncode}: {r.stderr.strip()[-400:]}')
        return r.stdout

    def kv(self, out):
        return {k: float(v) for k, v in re.findall(r'^(\w+) ([-\d.eE+]+)$', out, re.M)}

    @staticmethod
    def cpu_ticks(pid):
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)

    @staticmethod
    def user_sys_ticks(pid):
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return int(fields[11]), int(fields[12])

    def user_share(self, metric, peer, before, after):
        """The user-space share of the server's CPU over the runs: what is the library's
        (and the application's) against the kernel's."""
        u, k = after[0] - before[0], after[1] - before[1]
        if u + k > 0:
            self.put(metric + '_user_share', peer, u / (u + k))

    @staticmethod
    def cpu_ns(pid):
        """On-CPU time (user + system) of every thread of pid, in ns: the scheduler's own
        sum (schedstat), not 10 ms ticks; ticks where schedstat is missing."""
        total, seen = 0, False
        try:
            tasks = os.listdir(f'/proc/{pid}/task')
        except OSError:
            tasks = []
        for t in tasks:
            try:
                with open(f'/proc/{pid}/task/{t}/schedstat') as f:
                    total += int(f.read().split()[0])
                    seen = True
            except (OSError, ValueError, IndexError):
                pass
        if seen:
            return total
        return Bench.cpu_ticks(pid) * 1e9 / CLK_TCK

    @staticmethod
    def rss_kib(pid):
        with open(f'/proc/{pid}/status') as f:
            return int(re.search(r'^VmRSS:\s+(\d+)', f.read(), re.M).group(1))

    def put(self, metric, peer, value):
        self.results.setdefault(metric, {})[peer] = value

    def guarded(self, name, fn):
        t = time.time()
        log(f'{name} ...')
        try:
            fn()
        except Exception as e:  # one broken workload must not hide the others
            self.failures.append(f'{name}: {e}')
            log(f'{name} FAILED: {e}')
        log(f'{name} done in {time.time() - t:.1f}s')

    def redis(self, port, n, clients, pipeline=1):
        argv = ['redis-benchmark', '-h', '127.0.0.1', '-p', str(port), '-t', 'ping_inline',
                '-n', str(n), '-c', str(clients), '-P', str(pipeline), '--csv']
        out = self.run(argv, timeout=600)
        m = re.search(r'"PING_INLINE","([\d.]+|inf)"', out)  # inf: too fast for its clock
        if not m:
            raise RuntimeError(f'redis-benchmark printed no result: {out[-200:]}')
        return float(m.group(1))

    # ---- 1. lockstep ping-pong: instructions and syscalls per request ----
    #
    # One connection of common/lockstep_client, one request in flight. The counts are taken
    # around two windows of N and 2N requests on the same warm connection, and the figure
    # is their difference divided by N: exact per request (the same binary, client and
    # environment give the same count, to the instruction), with nothing of the connect,
    # the warm-up, the close or the measuring tools' own interruptions (callgrind_control
    # stops the process to zero and dump; strace attaches) in it. The single-window
    # overhead that the difference removes is kept too (lockstep_*_window_overhead).

    def start_client(self, argv, first):
        c = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.procs.append(c)
        line = c.stdout.readline().strip()
        if not line.startswith(first):
            self.stop_client(c)
            raise RuntimeError(f'{os.path.basename(argv[0])}: {line!r} instead of {first!r}')
        return c

    def stop_client(self, c):
        try:
            c.stdin.close()
        except OSError:
            pass
        try:
            c.wait(60)
        except subprocess.TimeoutExpired:
            c.kill()
            c.wait()
        if c in self.procs:
            self.procs.remove(c)

    @staticmethod
    def window(c, n):
        """Runs one window of n requests (or connections) on a client; its 'done' line."""
        c.stdin.write(f'{n}\n')
        c.stdin.flush()
        f = c.stdout.readline().split()
        if len(f) < 3 or f[0] != 'done':
            raise RuntimeError(f'client: {" ".join(f)!r} instead of done (exit {c.poll()})')
        return [float(x) for x in f[1:]]

    def lockstep_client(self, port):
        return self.start_client([os.path.join(self.bdir, 'lockstep_client'), str(port), '200'],
                                 'warm')

    @staticmethod
    def wait_traced(pid, timeout=10.0):
        """Until every thread of pid has a tracer (strace -f attached to all of them)."""
        end = time.time() + timeout
        while time.time() < end:
            ok = True
            for t in os.listdir(f'/proc/{pid}/task'):
                try:
                    with open(f'/proc/{pid}/task/{t}/status') as f:
                        if re.search(r'^TracerPid:\s+0$', f.read(), re.M):
                            ok = False
                except OSError:
                    pass
            if ok:
                time.sleep(0.05)
                return
            time.sleep(0.02)
        raise RuntimeError('strace did not attach')

    def count_syscalls(self, peer, n):
        """Syscalls per lockstep request of peer's PONG server: (total, {call: per request},
        window overhead)."""
        p, port = self.start_server(peer, 'pong')
        c = None
        try:
            c = self.lockstep_client(port)
            counts = []
            for k in (n, 2 * n):
                out = os.path.join(self.tmp, f'strace-{peer}-{k}')
                st = subprocess.Popen(['strace', '-c', '-f', '-o', out, '-p', str(p.pid)],
                                      stderr=subprocess.DEVNULL)
                try:
                    self.wait_traced(p.pid)
                    self.window(c, k)
                    time.sleep(0.1)  # the server is back in its wait
                finally:
                    st.send_signal(signal.SIGINT)
                    st.wait(30)
                by = {}
                for line in open(out):
                    f = line.split()
                    # % time, seconds, usecs/call, calls, [errors,] syscall
                    if len(f) in (5, 6) and f[3].isdigit() and not f[-1].startswith('-'):
                        by[f[-1]] = int(f[3])
                if not by.pop('total', None):
                    raise RuntimeError('strace printed no summary')
                counts.append(by)
        finally:
            if c:
                self.stop_client(c)
            self.stop(p)
        names = set(counts[0]) | set(counts[1])
        per = {k: (counts[1].get(k, 0) - counts[0].get(k, 0)) / n for k in names}
        per = {k: v for k, v in per.items() if abs(v) > 1e-12}
        total = sum(per.values())
        overhead = sum(counts[0].values()) - total * n
        return total, per, overhead

    def count_instructions(self, peer, n, callgrind_opts=()):
        """User instructions per lockstep request of peer's PONG server under callgrind:
        (per request, window overhead, the callgrind file of the 2N window)."""
        cg = os.path.join(self.tmp, f'cg-{peer}')
        wrapper = ['valgrind', '--tool=callgrind', f'--callgrind-out-file={cg}', *callgrind_opts]
        p, port = self.start_server(peer, 'pong', wrapper)
        c = None
        irs = []
        try:
            c = self.lockstep_client(port)
            for i, k in enumerate((n, 2 * n)):
                self.run(['callgrind_control', '-z', str(p.pid)], timeout=60)
                self.window(c, k)
                time.sleep(0.1)  # the server is back in its wait
                self.run(['callgrind_control', '-d', str(p.pid)], timeout=120)
                dump = f'{cg}.{i + 1}'
                ir = None
                for _ in range(300):
                    if os.path.exists(dump):
                        m = re.search(r'^summary: (\d+)', open(dump).read(), re.M)
                        if m:
                            ir = int(m.group(1))
                            break
                    time.sleep(0.1)
                if ir is None:
                    raise RuntimeError('no callgrind dump')
                irs.append(ir)
        finally:
            if c:
                self.stop_client(c)
            self.stop(p)
        per = (irs[1] - irs[0]) / n
        return per, irs[0] - per * n, f'{cg}.2'

    def lockstep(self):
        n = 200 if self.smoke else self.args.lockstep_n
        peers = [p for p in PEERS if self.available(p)]
        for peer in peers:
            total, per, overhead = self.count_syscalls(peer, n)
            self.put('lockstep_syscalls', peer, total)
            self.put('lockstep_syscalls_window_overhead', peer, overhead)
            self.put('lockstep_syscall_mix', peer,
                     ', '.join(f'{k} {v:.2f}' for k, v in
                               sorted(per.items(), key=lambda kv: (-round(kv[1], 2), kv[0]))
                               if v >= 0.01))
        if self.smoke or self.args.no_callgrind or not shutil.which('valgrind'):
            return
        n = self.args.callgrind_n
        for peer in peers:
            # Node under callgrind takes minutes (JIT, threads): fewer requests for it, and
            # its count is not deterministic (the JIT compiles when it likes).
            npeer = n // 10 if peer == 'node' else n
            ir, overhead, dump = self.count_instructions(peer, npeer)
            self.put('lockstep_instructions', peer, ir)
            self.put('lockstep_instructions_window_overhead', peer, overhead)
            if peer in ('eddy', 'libuv'):
                ann = self.run(['callgrind_annotate', '--threshold=100', dump], timeout=60)
                keep = os.path.join(ROOT, 'bench/results', f'callgrind-{peer}.txt')
                with open(keep, 'w') as f:
                    f.write(f'# callgrind_annotate of the {peer} PONG server, '
                            f'{2 * npeer} lockstep requests (bench/common/lockstep_client)\n')
                    f.write('\n'.join(ann.splitlines()[:60]) + '\n')

    # ---- 2. redis-benchmark: 50 connections, and pipelined ----

    def cpu_per_request(self, mode, metric, drive):
        peers = [p for p in PEERS if self.available(p)]
        servers = {}
        try:
            for peer in peers:
                servers[peer] = self.start_server(peer, mode)
                if not self.smoke:
                    drive(servers[peer][1], warm=True)
            samples = {peer: [] for peer in peers}
            rates = {peer: [] for peer in peers}
            us0 = {peer: self.user_sys_ticks(servers[peer][0].pid) for peer in peers}
            for _ in range(self.runs):
                for peer in peers:
                    p, port = servers[peer]
                    c0 = self.cpu_ns(p.pid)
                    t0 = time.time()
                    reqs = drive(port, warm=False)
                    t1 = time.time()
                    c1 = self.cpu_ns(p.pid)
                    samples[peer].append((c1 - c0) / 1e3 / reqs)
                    rates[peer].append(reqs / (t1 - t0))
            for peer in peers:
                self.put(metric, peer, statistics.median(samples[peer]))
                self.put(metric + '_rps', peer, statistics.median(rates[peer]))
                self.user_share(metric, peer, us0[peer], self.user_sys_ticks(servers[peer][0].pid))
        finally:
            for p, _ in servers.values():
                self.stop(p)

    def redis_conns(self):
        n = 2000 if self.smoke else self.args.redis_n

        def drive(port, warm):
            self.redis(port, 1000 if warm else n, 50)
            return n
        self.cpu_per_request('pong', 'cpu_us_50conn', drive)

    def redis_pipelined(self):
        n = 16000 if self.smoke else self.args.redis_n * 4

        def drive(port, warm):
            self.redis(port, 16000 if warm else n, 50, 16)
            return n
        self.cpu_per_request('pong', 'cpu_us_pipelined', drive)

    # ---- 3. HTTP keep-alive, wrk -c 100 ----

    def http(self):
        secs = 1 if self.smoke else self.args.wrk_seconds

        def drive(port, warm):
            out = self.run(['wrk', '-t', '1', '-c', '100', '-d', f'{1 if warm else secs}s',
                            f'http://127.0.0.1:{port}/'], timeout=120)
            m = re.search(r'(\d+) requests in', out)
            if not m or 'Non-2xx' in out or 'Socket errors' in out:
                raise RuntimeError(f'wrk: {out[-300:]}')
            return int(m.group(1))
        self.cpu_per_request('http', 'cpu_us_http', drive)

    # ---- 4-6. client-side workloads, eddy against libuv ----

    def alternate(self, programs, args, keys, timeout=300):
        vals = {(peer, k): [] for peer in programs for k in keys}
        for _ in range(self.runs):
            for peer, prog in programs.items():
                out = self.kv(self.run([os.path.join(self.bdir, prog)] + args(peer), timeout))
                for k in keys:
                    vals[(peer, k)].append(out[k])
        for (peer, k), v in vals.items():
            self.put(k, peer, statistics.median(v))

    def pump(self):
        mib = '16' if self.smoke else str(self.args.pump_mib)
        self.alternate({'eddy': 'eddy_pump', 'libuv': 'uv_pump'}, lambda p: [mib], ['pump_gbps'])

    def write_batch(self):
        n = '10000' if self.smoke else '1000000'
        self.alternate({'eddy': 'eddy_write_batch', 'libuv': 'uv_write_batch'},
                       lambda p: [n], ['write_batch_s'])

    def timers(self):
        n = '10000' if self.smoke else '1000000'
        self.alternate({'eddy': 'eddy_timers', 'libuv': 'uv_timers'}, lambda p: [n],
                       ['timers_init_s', 'timers_dispatch_s', 'timers_cleanup_s', 'timers_bytes'])
        for peer in ('eddy', 'libuv'):
            r = self.results
            self.put('timers_total_s', peer, r['timers_init_s'][peer] +
                     r['timers_dispatch_s'][peer] + r['timers_cleanup_s'][peer])

    # ---- 5. accept churn ----

    def pound(self):
        total = '500' if self.smoke else str(self.args.pound_n)
        servers = {}
        try:
            for peer, prog in (('eddy', 'eddy_pound'), ('libuv', 'uv_pound')):
                servers[peer] = self.start_server(peer, 'echo')
            self.alternate({'eddy': 'eddy_pound', 'libuv': 'uv_pound'},
                           lambda peer: [str(servers[peer][1]), total, '100'],
                           ['pound_conns_per_s'])
        finally:
            for p, _ in servers.values():
                self.stop(p)

    # ---- 7. idle connections ----

    def idle(self):
        n = 100 if self.smoke else self.args.idle_n
        for peer in [p for p in PEERS if self.available(p)]:
            p, port = self.start_server(peer, 'echo')
            c = None
            try:
                c = subprocess.Popen([os.path.join(self.bdir, 'idle_client'), str(port), str(n)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                if c.stdout.readline().strip() != 'warm':
                    raise RuntimeError('idle_client failed to warm up')
                time.sleep(0.2)
                r0 = self.rss_kib(p.pid)
                c.stdin.write('go\n')
                c.stdin.flush()
                line = c.stdout.readline().strip()
                if not line.startswith('ready'):
                    raise RuntimeError(f'idle_client: {line!r}')
                time.sleep(0.5)
                r1 = self.rss_kib(p.pid)
                self.put('idle_bytes_per_conn', peer, (r1 - r0) * 1024 / n)
            finally:
                if c:
                    c.stdin.close()
                    c.wait(30)
                self.stop(p)

    # ---- 9. scaling: server CPU per request at 50, 1,000 and 10,000 connections ----

    SCALE_PEERS = ('eddy', 'libuv', 'epoll')

    def conns(self):
        """common/load_client keeps C connections with one request in flight each; the
        server's CPU (every thread, schedstat) per request, median of alternating runs."""
        counts = (50, 200) if self.smoke else tuple(self.args.conns)
        n = 2000 if self.smoke else self.args.conns_n
        peers = [p for p in self.SCALE_PEERS if self.available(p)]
        for conns in counts:
            servers, clients = {}, {}
            try:
                for peer in peers:
                    servers[peer] = self.start_server(peer, 'pong')
                    clients[peer] = self.start_client(
                        [os.path.join(self.bdir, 'load_client'), str(servers[peer][1]),
                         str(conns)], 'ready')
                    if not self.smoke:
                        self.window(clients[peer], max(n // 10, conns))  # warm
                samples = {peer: [] for peer in peers}
                rates = {peer: [] for peer in peers}
                us0 = {peer: self.user_sys_ticks(servers[peer][0].pid) for peer in peers}
                for _ in range(self.runs):
                    for peer in peers:
                        pid = servers[peer][0].pid
                        c0 = self.cpu_ns(pid)
                        _, secs = self.window(clients[peer], n)
                        c1 = self.cpu_ns(pid)
                        samples[peer].append((c1 - c0) / 1e3 / n)
                        rates[peer].append(n / secs)
                for peer in peers:
                    self.put(f'cpu_us_c{conns}', peer, statistics.median(samples[peer]))
                    self.put(f'cpu_us_c{conns}_rps', peer, statistics.median(rates[peer]))
                    self.user_share(f'cpu_us_c{conns}', peer, us0[peer],
                                    self.user_sys_ticks(servers[peer][0].pid))
            finally:
                for c in clients.values():
                    self.stop_client(c)
                for p, _ in servers.values():
                    self.stop(p)
        lo, hi = counts[0], counts[-1]
        for peer in peers:
            a = self.results.get(f'cpu_us_c{lo}', {}).get(peer)
            b = self.results.get(f'cpu_us_c{hi}', {}).get(peer)
            if a and b:
                self.put('cpu_growth', peer, b / a)
        self.scale_counts = (lo, hi)

    # ---- 10. accept churn: server CPU per connection, 1 loop, reuse_port, 2 loops ----

    def churn(self):
        """common/churn_client (100 concurrent connect/write/echo/close loops) against each
        echo server; the server's CPU per connection. CPU, not connections per second: with
        2 cores and the client on one, a second loop cannot show as throughput."""
        n = 500 if self.smoke else self.args.churn_n
        peers = [p for p in self.SCALE_PEERS if self.available(p)]
        for suffix, extra in (('', ()), ('_reuseport', ('--reuse-port',)),
                              ('_2loops', ('--loops', '2'))):
            servers, clients = {}, {}
            try:
                for peer in peers:
                    servers[peer] = self.start_server(peer, 'echo', extra=extra)
                    clients[peer] = self.start_client(
                        [os.path.join(self.bdir, 'churn_client'), str(servers[peer][1]), '100'],
                        'ready')
                    if not self.smoke:
                        self.window(clients[peer], n // 10)  # warm
                samples = {peer: [] for peer in peers}
                rates = {peer: [] for peer in peers}
                us0 = {peer: self.user_sys_ticks(servers[peer][0].pid) for peer in peers}
                for _ in range(self.runs):
                    for peer in peers:
                        pid = servers[peer][0].pid
                        c0 = self.cpu_ns(pid)
                        done, secs, failed = self.window(clients[peer], n)
                        c1 = self.cpu_ns(pid)
                        if failed > n / 100:
                            raise RuntimeError(f'{peer}{suffix}: {failed:.0f} of {n} failed')
                        samples[peer].append((c1 - c0) / 1e3 / n)
                        rates[peer].append(n / secs)
                for peer in peers:
                    self.put(f'churn_cpu_us{suffix}', peer, statistics.median(samples[peer]))
                    self.put(f'churn_conns_per_s{suffix}', peer, statistics.median(rates[peer]))
                    self.user_share(f'churn_cpu_us{suffix}', peer, us0[peer],
                                    self.user_sys_ticks(servers[peer][0].pid))
            finally:
                for c in clients.values():
                    self.stop_client(c)
                for p, _ in servers.values():
                    self.stop(p)

    # ---- 11. heap per loop at creation ----

    def loop_heap(self):
        """eddy/loop_heap.c and peers/uv_loop_heap.c: the heap a new loop holds, counted
        through each library's allocator hook (eddy_set_allocator, uv_replace_allocator),
        for the first loop of a process and per loop over 16 made in a row. Counts: one
        run each."""
        for peer, prog in (('eddy', 'eddy_loop_heap'), ('libuv', 'uv_loop_heap')):
            path = os.path.join(self.bdir, prog)
            if peer != 'eddy' and not os.path.exists(path):
                continue
            out = self.kv(self.run([path, '16']))
            if out.get('loop_heap_left_bytes'):
                raise RuntimeError(f'{prog}: {out["loop_heap_left_bytes"]:.0f} bytes left after '
                                   'the loops were released')
            for k in ('loop_heap_bytes', 'loop_heap_many_bytes', 'loop_total_bytes'):
                self.put(k, peer, out[k])

    # ---- 8. static library size ----

    def size(self):
        def stripped_size(path):
            copy = os.path.join(self.tmp, 'stripped.a')
            shutil.copyfile(path, copy)
            self.run(['strip', '--strip-debug', copy])
            return os.path.getsize(copy)

        def text_data(path):
            out = self.run(['size', '-t', path])
            last = out.strip().splitlines()[-1].split()
            return int(last[0]) + int(last[1])  # text + data of every object
        eddy_os = os.path.join(ROOT, self.args.size_build, 'libeddy.a')
        eddy_o2 = os.path.join(ROOT, self.args.build, 'libeddy.a')
        libdir = '/usr/lib/x86_64-linux-gnu'
        for peer, path in (('eddy', eddy_os), ('eddy -O3', eddy_o2),
                           ('libuv', f'{libdir}/libuv_a.a'),
                           ('libevent', f'{libdir}/libevent_core.a'),
                           ('libev', f'{libdir}/libev.a')):
            if os.path.exists(path):
                self.put('lib_text_data_bytes', peer, text_data(path))
                self.put('lib_file_bytes', peer, stripped_size(path))


# ---- report ----

# metric, label, unit, direction (lower: smaller is better), target against libuv, kind
METRICS = [
    ('lockstep_syscalls', 'lockstep PING, syscalls per request (strace -c)', '', 'lower', ('abs', 3.0)),
    ('lockstep_instructions', 'lockstep PING, user instructions per request (callgrind Ir)', '', 'lower', ('ratio', 0.5)),
    ('cpu_us_50conn', 'PING -c 50, server CPU per request', 'µs', 'lower', ('ratio', 0.9)),
    ('cpu_us_pipelined', 'PING -c 50 -P 16, server CPU per request', 'µs', 'lower', ('ratio', 0.8)),
    ('cpu_us_http', 'HTTP keep-alive wrk -c 100, server CPU per request', 'µs', 'lower', None),
    ('cpu_us_c50', 'PING, 50 connections lockstep (own client), server CPU per request', 'µs', 'lower', None),
    ('cpu_us_c200', 'PING, 200 connections lockstep (own client), server CPU per request', 'µs', 'lower', None),
    ('cpu_us_c1000', 'PING, 1,000 connections lockstep, server CPU per request', 'µs', 'lower', None),
    ('cpu_us_c10000', 'PING, 10,000 connections lockstep, server CPU per request', 'µs', 'lower', None),
    ('cpu_growth', 'server CPU per request, most / fewest connections', '×', 'lower', None),
    ('pump_gbps', 'pump, 8 KiB writes, one in flight', 'GB/s', 'higher', ('ratio', 1.0)),
    ('write_batch_s', '1M writes of 13 bytes, one socket', 's', 'lower', ('ratio', 1 / 3)),
    ('pound_conns_per_s', 'accept churn, 100 concurrent connect/write/close', 'conn/s', 'higher', ('ratio', 1.2)),
    ('churn_cpu_us', 'accept churn (own client, 100 concurrent), server CPU per connection, 1 loop', 'µs', 'lower', None),
    ('churn_cpu_us_reuseport', 'accept churn, server CPU per connection, 1 loop with reuse_port', 'µs', 'lower', None),
    ('churn_cpu_us_2loops', 'accept churn, server CPU per connection, 2 loops on 2 threads (reuse_port)', 'µs', 'lower', None),
    ('timers_init_s', '1M timers: init', 's', 'lower', None),
    ('timers_dispatch_s', '1M timers: dispatch', 's', 'lower', None),
    ('timers_cleanup_s', '1M timers: cleanup', 's', 'lower', None),
    ('timers_total_s', '1M timers: init + dispatch + cleanup', 's', 'lower', ('ratio', 0.5)),
    ('timers_bytes', '1M timers: heap bytes per timer', 'B', 'lower', ('ratio', 0.5)),
    ('idle_bytes_per_conn', '10k idle connections: server RSS per connection', 'B', 'lower', ('ratio', 1.0)),
    ('loop_heap_bytes', 'a new loop (default options): heap bytes, through the allocator hook', 'B', 'lower', ('abs', 4096)),
    ('loop_heap_many_bytes', '16 new loops in one process: heap bytes per loop', 'B', 'lower', None),
    ('loop_total_bytes', "a new loop: heap + the caller's memory (libuv's uv_loop_t)", 'B', 'lower', None),
    ('lib_text_data_bytes', 'static library, text + data (size -t)', 'B', 'lower', None),
    ('lib_file_bytes', 'static library, .a file size (debug info stripped)', 'B', 'lower', None),
]
# What limits each figure: kernel, client or eddy. {share:METRIC} is replaced by the
# measured user-space share of the servers' CPU in that workload.
LIMITS = [
    ('lockstep_syscalls', 'lockstep syscalls',
     'the kernel: a reply needs a wait, a read and a write; eddy makes exactly those, as the '
     'floor does (libuv adds an epoll_ctl per write, libevent two).'),
    ('lockstep_instructions', 'lockstep instructions',
     "eddy: its own code between the three syscalls (the emit, the loop's phases, checks of "
     'features that are off); by function in `profile.md`.'),
    ('cpu_us_50conn', 'PING -c 50, -P 16, HTTP',
     'the kernel: the loopback TCP stack is most of the server\'s CPU ({share:cpu_us_50conn}); '
     'the client (redis-benchmark, wrk) holds the other core, so batching per wakeup, and with '
     'it CPU per request, follows how the two processes are scheduled.'),
    ('cpu_us_c50', '50 / 1,000 / 10,000 connections',
     'the kernel ({share:cpu_us_c10000} at 10,000): CPU per request grows with the number of '
     'connections by about the same factor for every server ({growth}), the floor included, '
     "so the growth is the kernel's (per-socket state that no longer stays in the caches), "
     "not the library's; eddy's own part per request does not depend on the count (nothing "
     'in its loop walks the connections). The client, one epoll loop on the other core, sets '
     'the pace (requests/s).'),
    ('churn_cpu_us', 'accept churn (server CPU per connection)',
     'the kernel: accept, the handshake, FIN and close are most of it ({share:churn_cpu_us}); '
     'the client on the other core limits conn/s, which is why the figure is CPU per '
     'connection. With 2 loops the two server threads and the client share 2 cores.'),
    ('pump_gbps', 'pump', 'the kernel: copying through the loopback socket; one write in flight.'),
    ('write_batch_s', '1M small writes',
     'eddy: held writes leave in one sendmsg per iteration; libuv makes a syscall per write.'),
    ('pound_conns_per_s', 'accept churn, conn/s (library clients)',
     'the kernel and the client: both processes share 2 cores; the figure compares eddy and libuv '
     'as clients and servers together.'),
    ('timers_total_s', 'timers', 'eddy: its heap (memory and cache misses with 1M entries).'),
    ('idle_bytes_per_conn', 'idle connections',
     'eddy: three allocations per connection, 496 B with malloc\'s headers: the socket (280 B '
     'at 8385e78 → 288), its emitter table (80 → 96) and its listener array (room for 4 '
     'listeners, 96 → 112); libuv\'s is the uv_tcp_t the server allocates (248 B + state → '
     '272). The kernel\'s socket memory is not in RSS and is the same for every server; the '
     'floor keeps nothing per idle connection until one writes or closes.'),
    ('lib_text_data_bytes', 'library size', 'eddy: its code.'),
    ('loop_heap_bytes', 'heap per loop',
     "eddy: the loop (448 B), the epoll state with 32 events and the batch of 32 "
     "fired entries; both double when a wait fills them (eddy_loop_options.io_events, "
     "io_events_max), the read buffer (64 KiB by default, read_buffer_size) and the timer "
     "heap come with the first read and the first timer. libuv's uv_loop_t is the caller's; "
     "its heap is the watcher array indexed by descriptor number, so a loop made when more "
     "descriptors are open costs more (16 loops in a row: the per-loop figure)."),
]


def limits_lines(res):
    def share(metric):
        row = res.get(metric + '_user_share', {})
        parts = [f'{p} {row[p] * 100:.0f} %' for p in ('eddy', 'libuv', 'epoll') if p in row]
        return ('user space ' + ', '.join(parts) + ' of the server\'s CPU') if parts else \
            'user space: not measured'
    def growth():
        g = res.get('cpu_growth', {})
        return ', '.join(f'{p} {g[p]:.2f}×' for p in ('eddy', 'libuv', 'epoll') if p in g) or '?'
    out = []
    for metric, name, text in LIMITS:
        if metric not in res:
            continue
        text = re.sub(r'\{share:(\w+)\}', lambda m: share(m.group(1)), text)
        out.append(f'- **{name}**: ' + text.replace('{growth}', growth()))
    return out


def scaling_lines(res):
    out = []
    counts = sorted(int(m[len('cpu_us_c'):]) for m in res
                    if re.fullmatch(r'cpu_us_c\d+', m))
    peers = [p for p in ('eddy', 'libuv', 'epoll')
             if any(p in res.get(f'cpu_us_c{c}', {}) for c in counts)]
    if counts:
        out += ['## Scaling with connections (server CPU per request, µs)', '',
                '| connections | ' + ' | '.join(peers) + ' | eddy/libuv | eddy/epoll | '
                'requests/s (eddy, client-bound) |', '|' + '---|' * (len(peers) + 4)]
        for c in counts:
            row = res[f'cpu_us_c{c}']
            cells = [f'{c:,}'] + [fmt(row.get(p)) for p in peers]
            for p in ('libuv', 'epoll'):
                cells.append(fmt(row['eddy'] / row[p]) + '×' if row.get('eddy') and row.get(p)
                             else '–')
            cells.append(fmt(res.get(f'cpu_us_c{c}_rps', {}).get('eddy')))
            out.append('| ' + ' | '.join(cells) + ' |')
        g = res.get('cpu_growth', {})
        if g:
            out += ['', f'Growth from {counts[0]:,} to {counts[-1]:,} connections (CPU per '
                    'request, most / fewest): ' +
                    ', '.join(f'{p} {g[p]:.2f}×' for p in peers if p in g) + '.']
        out.append('')
    variants = [('', '1 loop'), ('_reuseport', '1 loop, reuse_port'),
                ('_2loops', '2 loops on 2 threads, reuse_port')]
    if any(f'churn_cpu_us{v}' in res for v, _ in variants):
        peers = [p for p in ('eddy', 'libuv', 'epoll')
                 if any(p in res.get(f'churn_cpu_us{v}', {}) for v, _ in variants)]
        out += ['## Accept churn (server CPU per connection, µs; conn/s in brackets)', '',
                '| server | ' + ' | '.join(peers) + ' | eddy/libuv | eddy/epoll |',
                '|' + '---|' * (len(peers) + 3)]
        for v, label in variants:
            row = res.get(f'churn_cpu_us{v}', {})
            rate = res.get(f'churn_conns_per_s{v}', {})
            if not row:
                continue
            cells = [label] + [f'{fmt(row.get(p))} ({fmt(rate.get(p))})' for p in peers]
            for p in ('libuv', 'epoll'):
                cells.append(fmt(row['eddy'] / row[p]) + '×' if row.get('eddy') and row.get(p)
                             else '–')
            out.append('| ' + ' | '.join(cells) + ' |')
        out.append('')
    return out


COLUMNS = ['eddy', 'libuv', 'libevent', 'node', 'epoll', 'libev', 'eddy -O3']


def fmt(v):
    if v is None:
        return '–'
    if isinstance(v, str):
        return v
    a = abs(v)
    if a >= 1000:
        return f'{v:,.0f}'
    if a >= 100:
        return f'{v:.0f}'
    if a >= 10:
        return f'{v:.1f}'
    if a >= 1:
        return f'{v:.2f}'
    return f'{v:.3f}'


def verdict(metric, row, target, direction):
    e, u = row.get('eddy'), row.get('libuv')
    if target is None or e is None:
        return ''
    kind, t = target
    if kind == 'abs':
        ok = round(e, 2) <= t  # fixed per-connection costs amortised to < 0.005
        return f'≤ {fmt(t)}: {"met" if ok else "MISSED"}'
    if u is None or u == 0:
        return ''
    r = e / u
    ok = r >= t - 1e-9 if direction == 'higher' else r <= t + 1e-9
    sign = '≥' if direction == 'higher' else '≤'
    return f'{sign} {fmt(t)}×: {"met" if ok else "MISSED"}'


def write_report(b, outdir, elapsed, date=None):
    os.makedirs(outdir, exist_ok=True)
    res = b.results
    date = date or time.strftime('%Y-%m-%d %H:%M %Z')
    cols = [c for c in COLUMNS if any(c in res.get(m[0], {}) for m in METRICS)]
    peers = [c for c in cols if c not in ('eddy', 'eddy -O3')]
    lines = ['# eddy benchmark results', '',
             f'Run by `bench/run{" --smoke" if b.smoke else ""}` on {date}, '
             f'{elapsed / 60:.1f} minutes; the machine is described in `machine.md`. '
             f'Time-based figures are the median of {b.runs} alternating run(s); '
             'instruction and syscall counts are deterministic.', '',
             'Ratios are eddy / peer: below 1 means eddy needs less (time, CPU, memory, '
             'instructions); for GB/s and conn/s above 1 means eddy is faster. '
             'Targets are against libuv in the same run.', '']
    head = ['workload', 'unit'] + cols + [f'eddy/{p}' for p in peers] + ['target (vs libuv)']
    lines.append('| ' + ' | '.join(head) + ' |')
    lines.append('|' + '---|' * len(head))
    chart = []
    for metric, label, unit, direction, target in METRICS:
        row = res.get(metric)
        if not row:
            continue
        cells = [label, unit] + [fmt(row.get(c)) for c in cols]
        ratios = []
        for p in peers:
            e, v = row.get('eddy'), row.get(p)
            r = e / v if e is not None and v else None
            cells.append(fmt(r) + '×' if r is not None else '–')
            ratios.append(r)
        cells.append(verdict(metric, row, target, direction))
        lines.append('| ' + ' | '.join(cells) + ' |')
        # the chart shows cost ratios: for throughput, the inverse
        chart.append((metric, [None if r is None else (1 / r if direction == 'higher' else r)
                               for r in ratios]))
    mix = res.get('lockstep_syscall_mix')
    if mix:
        lines += ['', '## Syscalls per lockstep request, by call', '',
                  '| server | syscalls per request |', '|---|---|']
        lines += [f'| {p} | {m} |' for p, m in mix.items()]
        lines += ['']
    lines += ['', 'Chart: `ratios.png` (cost ratio eddy/peer, lower is better; throughput '
              'figures inverted so that every bar reads the same way).', '']
    lines += scaling_lines(res)
    lim = limits_lines(res)
    if lim:
        lines += ['## What limits each figure', ''] + lim + ['']
    if b.notes:
        lines += ['## Notes', ''] + [f'- {n}' for n in b.notes] + ['']
    if b.failures:
        lines += ['## Failures', ''] + [f'- {f}' for f in b.failures] + ['']
    with open(os.path.join(outdir, 'latest.md'), 'w') as f:
        f.write('\n'.join(lines))
    with open(os.path.join(outdir, 'latest.json'), 'w') as f:
        json.dump({'smoke': b.smoke, 'runs': b.runs, 'elapsed': elapsed, 'date': date,
                   'notes': b.notes,
                   'results': res, 'failures': b.failures},
                  f, indent=1, ensure_ascii=False)
    chart_svg(chart, peers, outdir)


def chart_svg(chart, peers, outdir):
    if not shutil.which('gnuplot') or not chart:
        return
    dat = os.path.join(outdir, '.ratios.dat')
    with open(dat, 'w') as f:
        f.write('metric ' + ' '.join(peers) + '\n')
        for metric, ratios in chart:
            f.write(metric.replace('_', '-') + ' ' +
                    ' '.join('?' if r is None else f'{r:.4f}' for r in ratios) + '\n')
    plot = ', '.join(f"'{dat}' using {i + 2}:xtic(1) title 'eddy/{p}'"
                     for i, p in enumerate(peers))
    script = f"""
set terminal pngcairo size 1400,700 font 'sans,10'
set output '{os.path.join(outdir, 'ratios.png')}'
set title 'eddy cost relative to each peer (lower is better; 1 = parity)'
set style data histograms
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set logscale y 2
set yrange [0.004:8]
set ylabel 'eddy / peer (log scale)'
set xtics rotate by -35 font ',9'
set grid ytics
set key top left
set datafile missing '?'
f(x) = 1
plot {plot}, 1 with lines lw 2 lc rgb 'black' notitle
"""
    r = subprocess.run(['gnuplot'], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        log('gnuplot:', r.stderr.strip())
    os.remove(dat)


# ---- the hot-path guard (bench/guard, CI) ----

BASELINE = os.path.join(ROOT, 'bench/baseline.json')
INSTRUCTION_TOLERANCE = 0.05  # more than +5 % instructions per request fails
SYSCALL_TOLERANCE = 0.01  # a syscall added to 1 % of the requests or more fails
# Build options the counts depend on: the guard refuses a build that differs from the
# baseline's in these (a debug or sanitized build would "regress" by its own doing).
GUARD_BUILD_OPTIONS = ('buildtype', 'optimization', 'b_sanitize', 'b_coverage', 'b_lto',
                       'b_ndebug', 'io_backend')


def build_options(build, names=GUARD_BUILD_OPTIONS):
    out = subprocess.run(['meson', 'introspect', '--buildoptions', os.path.join(ROOT, build)],
                         capture_output=True, text=True, check=True).stdout
    opts = {o['name']: o['value'] for o in json.loads(out)}
    return {k: opts.get(k) for k in names}


def profile(b):
    """The callgrind file of one window of 2N lockstep requests (see count_instructions),
    with per-instruction data, and its functions per request (exclusive, then inclusive):
    what bench/results/profile.md is made of (bench/profile runs it for each server)."""
    a = b.args
    if a.profile_server:
        b.server_argv = lambda peer, mode, port, extra=(): [a.profile_server, mode, str(port)]
    ir, _, dump = b.count_instructions(a.profile_peer, a.guard_n,
                                       ('--dump-instr=yes', '--collect-jumps=yes'))
    shutil.copyfile(dump, a.profile)
    n = 2 * a.guard_n
    print(f'# {a.profile}: {a.profile_peer}, {n} lockstep requests, '
          f'{ir:.1f} instructions per request')
    for inclusive in ('no', 'yes'):
        out = subprocess.run(['callgrind_annotate', '--threshold=100', f'--inclusive={inclusive}',
                              a.profile], capture_output=True, text=True).stdout
        print(f'\n## {"inclusive" if inclusive == "yes" else "exclusive (self)"} '
              'instructions per request, by function')
        section = out.split('file:function', 1)[-1].split('-- Auto-annotated', 1)[0]
        for m in re.finditer(r'^\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+)', section, re.M):
            per = int(m.group(1).replace(',', '')) / n
            # (exclusive: callgrind charges the frames that were live at the zeroing with
            # the whole window; they are main's callers, not code of the request)
            if per >= 0.5 and not (inclusive == 'no' and per >= ir - 1):
                name = re.sub(r'^.*/(?=[^/]+:)', '', m.group(2))  # file:function, no dirs
                print(f'{per:8.1f}  {name}')


def toolchain():
    def first_line(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            return '?'
    return {'cc': first_line(['cc', '--version']), 'libc': platform.libc_ver()[1],
            'valgrind': first_line(['valgrind', '--version'])}


def guard(b):
    """eddy's PONG server, lockstep: callgrind instructions and strace syscalls per request,
    against bench/baseline.json. Exit status 1 on a regression."""
    args = b.args
    binary = os.path.join(b.bdir, 'eddy_server')
    opts = build_options(args.build)
    tools = toolchain()
    head = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                          capture_output=True, text=True).stdout.strip() or '?'
    dirty = subprocess.run(['git', '-C', ROOT, 'diff', '--quiet', 'HEAD', '--', 'src',
                            'include']).returncode != 0
    n = args.guard_n
    print(f'== eddy hot-path guard: {os.path.relpath(binary, ROOT)} at {head}'
          f'{" + uncommitted src/include changes" if dirty else ""}')
    print(f'   build: ' + ', '.join(f'{k}={v}' for k, v in opts.items()) +
          f', debug={build_options(args.build, ("debug",))["debug"]} (not compared: -g does '
          'not change the code)')
    print(f'   {tools["cc"]}; glibc {tools["libc"]}; {tools["valgrind"]}')
    print(f'   lockstep PING over one connection (bench/common/lockstep_client), counts taken '
          f'around windows of {n} and {2 * n} requests; per request = difference / {n}')
    t0 = time.time()
    ir, ir_over, _ = b.count_instructions('eddy', n)
    sc, mix, sc_over = b.count_syscalls('eddy', n)
    measured = {'instructions_per_request': ir, 'syscalls_per_request': sc,
                'syscall_mix': {k: round(v, 4) for k, v in sorted(mix.items())},
                'instructions_window_overhead': ir_over, 'syscalls_window_overhead': sc_over}

    if args.update_baseline:
        base = {
            '_how': 'Written by `bench/guard --update-baseline`; checked by `bench/guard` (a '
                    'stage of .ci/run). Update it only in a commit whose message says why the '
                    'hot path got cheaper or had to get dearer.',
            'requests': n,
            'build': opts,
            'toolchain': tools,
            'commit': head + (' (+ uncommitted src/include changes)' if dirty else ''),
            'date': time.strftime('%Y-%m-%d', time.gmtime()),
            'instructions_per_request': round(ir, 2),
            'syscalls_per_request': round(sc, 4),
            'syscall_mix': measured['syscall_mix'],
        }
        with open(args.baseline, 'w') as f:
            json.dump(base, f, indent=1)
            f.write('\n')
        print(f'wrote {os.path.relpath(args.baseline, ROOT)}: {ir:.1f} instructions, '
              f'{sc:.3f} syscalls per request')
        return 0

    base = json.load(open(args.baseline))
    passed = failed = 0
    rows = []
    bi, bs = base['instructions_per_request'], base['syscalls_per_request']
    ok_i = ir <= bi * (1 + INSTRUCTION_TOLERANCE)
    rows.append(('user instructions per request (callgrind Ir)', f'{ir:.1f}', f'{bi:.1f}',
                 f'≤ {bi * (1 + INSTRUCTION_TOLERANCE):.1f}', f'{(ir / bi - 1) * 100:+.1f} %',
                 'ok' if ok_i else 'FAIL'))
    ok_s = sc <= bs + SYSCALL_TOLERANCE
    rows.append(('syscalls per request (strace -c -f)', f'{sc:.3f}', f'{bs:.3f}',
                 f'≤ {bs + SYSCALL_TOLERANCE:.3f}', f'{sc - bs:+.3f}', 'ok' if ok_s else 'FAIL'))
    for name in sorted(set(mix) | set(base.get('syscall_mix', {}))):
        m, v = mix.get(name, 0.0), base.get('syscall_mix', {}).get(name, 0.0)
        rows.append((f'  {name}', f'{m:.3f}', f'{v:.3f}', '', f'{m - v:+.3f}', ''))
    head_row = ('figure', 'measured', 'baseline', 'limit', 'change', '')
    widths = [max(len(r[i]) for r in rows + [head_row]) for i in range(6)]
    for r in [head_row] + rows:
        print('   ' + '  '.join(c.ljust(w) if i == 0 else c.rjust(w)
                                for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    print(f'   (one window of {n} requests also costs {ir_over:.0f} instructions and '
          f'{sc_over:.0f} syscalls of the measuring itself, cancelled by the difference)')
    for ok in (ok_i, ok_s):
        passed, failed = passed + ok, failed + (not ok)
    notes = []
    differs = {k: (base.get('build', {}).get(k), v) for k, v in opts.items()
               if base.get('build', {}).get(k) != v}
    if differs:
        notes.append('FAIL: this build is not configured like the baseline\'s '
                     f'({", ".join(f"{k}: {a} there, {c} here" for k, (a, c) in differs.items())}): '
                     'its counts are not comparable; give the guard a release build '
                     '(bench/guard --build DIR)')
        failed += 1
    for k in ('cc', 'libc', 'valgrind'):
        if base.get('toolchain', {}).get(k) != tools[k]:
            notes.append(f'note: the baseline was measured with {k} "{base["toolchain"].get(k)}", '
                         f'this run has "{tools[k]}": a change in the count may be the '
                         'toolchain\'s, not eddy\'s')
    if ok_i and ir < bi * (1 - INSTRUCTION_TOLERANCE):
        notes.append(f'note: {(1 - ir / bi) * 100:.1f} % fewer instructions than the baseline: '
                     'lower it (bench/guard --update-baseline) in a commit that says why')
    if not ok_i:
        notes.append('FAIL: the hot path costs more than +5 % instructions: profile it '
                     '(bench/results/profile.md says how) before raising the baseline')
    if not ok_s:
        notes.append('FAIL: a syscall was added to the lockstep request path')
    for line in notes:
        print('   ' + line)
    print(f'   baseline: {os.path.relpath(args.baseline, ROOT)} (commit {base.get("commit")}, '
          f'{base.get("date")}); took {time.time() - t0:.1f}s')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--smoke', action='store_true')
    ap.add_argument('--build', default='build-bench')
    ap.add_argument('--size-build', default='build-bench-size')
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench/results'))
    ap.add_argument('--port', type=int, default=17100)
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--lockstep-n', type=int, default=10000)
    ap.add_argument('--callgrind-n', type=int, default=10000)
    ap.add_argument('--redis-n', type=int, default=200000)
    ap.add_argument('--wrk-seconds', type=int, default=3)
    ap.add_argument('--pump-mib', type=int, default=1024)
    ap.add_argument('--pound-n', type=int, default=20000)
    ap.add_argument('--idle-n', type=int, default=10000)
    ap.add_argument('--conns', type=lambda v: [int(x) for x in v.split(',')],
                    default=[50, 1000, 10000], help='connection counts of the conns workload')
    ap.add_argument('--conns-n', type=int, default=200000)
    ap.add_argument('--churn-n', type=int, default=20000)
    ap.add_argument('--no-callgrind', action='store_true')
    ap.add_argument('--guard', action='store_true',
                    help="eddy's hot-path counts against bench/baseline.json (bench/guard)")
    ap.add_argument('--guard-n', type=int, default=5000)
    ap.add_argument('--baseline', default=BASELINE, help='with --guard: the baseline file')
    ap.add_argument('--profile', metavar='FILE',
                    help='write the callgrind file of 2 x --guard-n lockstep requests to FILE')
    ap.add_argument('--profile-peer', default='eddy', choices=PEERS)
    ap.add_argument('--profile-server', metavar='PATH',
                    help='with --profile: this server binary instead of the build\'s')
    ap.add_argument('--update-baseline', action='store_true',
                    help='with --guard: write bench/baseline.json from this run')
    ap.add_argument('--only', default='', help='comma-separated workload names')
    ap.add_argument('--merge', action='store_true',
                    help='with --only: update those rows of the last results, keep the rest')
    ap.add_argument('--report-only', action='store_true',
                    help='rewrite latest.md and the chart from latest.json')
    args = ap.parse_args()
    b = Bench(args)
    if args.profile:
        try:
            profile(b)
        finally:
            b.cleanup()
        return
    if args.guard:
        try:
            rc = guard(b)
        finally:
            b.cleanup()
        sys.exit(rc)
    if args.report_only:
        saved = json.load(open(os.path.join(args.out, 'latest.json')))
        b.results, b.runs, b.failures = saved['results'], saved['runs'], saved['failures']
        b.notes = saved.get('notes', [])
        write_report(b, args.out, saved.get('elapsed', 0), saved.get('date'))
        b.cleanup()
        return
    workloads = [('lockstep', b.lockstep), ('redis_conns', b.redis_conns),
                 ('redis_pipelined', b.redis_pipelined), ('http', b.http), ('pump', b.pump),
                 ('write_batch', b.write_batch), ('pound', b.pound), ('timers', b.timers),
                 ('idle', b.idle), ('conns', b.conns), ('churn', b.churn), ('size', b.size),
                 ('loop_heap', b.loop_heap)]
    only = set(filter(None, args.only.split(',')))
    t0 = time.time()
    load0 = os.getloadavg()[0]
    try:
        for name, fn in workloads:
            if not only or name in only:
                b.guarded(name, fn)
    finally:
        b.cleanup()
    if not b.available('node'):
        b.notes.append('node was not found: no Node.js column.')
    b.notes.append(f'Load average (1 minute) {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at '
                   f'the end, on {os.cpu_count()} cores: work of others on the machine moves the '
                   'time-based figures (not the counts).')
    b.notes.append('Peers for the client-side workloads (pump, 1M writes, accept churn, timers) '
                   'are eddy and libuv; the server workloads run every server.')
    b.notes.append('Library sizes: eddy is built here at -Os (meson buildtype=minsize; '
                   '"eddy -O3" is the release build used for the timings); libuv, '
                   'libevent_core and libev are the static libraries Debian ships '
                   '(built -O2 by Debian, debug info stripped).')
    out = args.out if not args.smoke else os.path.join(tempfile.gettempdir(), 'eddy-bench-smoke')
    elapsed, date = time.time() - t0, None
    saved_path = os.path.join(out, 'latest.json')
    if args.merge and not args.smoke and os.path.exists(saved_path):
        # A partial run (--only) updates its workloads' rows in the last full results.
        saved = json.load(open(saved_path))
        merged = saved['results']
        merged.update(b.results)
        b.results = merged
        ran = [name for name, _ in workloads if not only or name in only]
        now = time.strftime('%Y-%m-%d %H:%M %Z')
        kept = [n for n in saved.get('notes', []) if n not in b.notes]
        b.notes = kept + b.notes + [f'{", ".join(ran)}: re-run on {now} ({elapsed / 60:.1f} minutes, '
                          f'bench/run --only ... --merge); the other rows are from the run of '
                          f'{saved.get("date", "?")}.']
        b.failures = [f for f in saved.get('failures', [])
                      if f.split(':', 1)[0] not in ran] + b.failures
        elapsed, date = saved.get('elapsed', 0), saved.get('date')
    write_report(b, out, elapsed, date)
    print(open(os.path.join(out, 'latest.md')).read())
    if b.failures:
        sys.exit(1)


if __name__ == '__main__':
    main()
