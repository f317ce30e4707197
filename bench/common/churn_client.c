/* Accept churn against an echo server, library-neutral (one epoll loop, non-blocking
 * connects), for the server's CPU per connection: CONC connections at a time, each
 * connects, writes "QS", reads the echo and closes; a new one starts when one ends. The
 * same client for every server, so only the server differs (bench/eddy/pound.c and
 * peers/uv_pound.c are library clients; this one is not).
 *
 * Protocol with the harness: "ready" on stdout; then each line "N" on stdin completes N
 * connections and answers "done N SECONDS FAILED"; stdin EOF ends it.
 *
 *   churn_client PORT [CONC, default 100] */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "bench_util.h"

static int ep, port;
static long started, completed, failed, target;
static unsigned char *got; /* echo bytes read so far, per fd */

static void start_one(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        bench_die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    started++;
    got[fd] = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
        bench_die("connect");
    /* Writable once connected; the echo then makes it readable. */
    struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        bench_die("epoll_ctl");
}

static void finish(int fd, bool ok)
{
    close(fd); /* also leaves the epoll set */
    completed++;
    if (!ok)
        failed++;
    if (started < target)
        start_one();
}

static void on_event(int fd, uint32_t events)
{
    if (events & EPOLLOUT) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || write(fd, "QS", 2) != 2) {
            finish(fd, false);
            return;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        return;
    }
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN)
        return;
    if (n <= 0) {
        finish(fd, false);
        return;
    }
    got[fd] = (unsigned char)(got[fd] + n);
    if (got[fd] >= 2)
        finish(fd, true);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: churn_client PORT [CONC]\n");
        return 2;
    }
    port = atoi(argv[1]);
    long conc = argc > 2 ? atol(argv[2]) : 100;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    got = calloc(rl.rlim_cur, 1);
    ep = epoll_create1(0);
    if (!got || ep < 0)
        bench_die("setup");
    printf("ready\n");
    fflush(stdout);
    static struct epoll_event events[1024];
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        long n = atol(line);
        started = completed = failed = 0;
        target = n;
        double t0 = bench_now();
        for (long i = 0; i < conc && started < target; i++)
            start_one();
        while (completed < target) {
            int k = epoll_wait(ep, events, 1024, 10000);
            if (k <= 0) {
                if (k < 0 && errno == EINTR)
                    continue;
                fprintf(stderr, "churn_client: stalled at %ld of %ld\n", completed, target);
                return 1;
            }
            for (int j = 0; j < k; j++)
                on_event(events[j].data.fd, events[j].events);
        }
        printf("done %ld %.6f %ld\n", n, bench_now() - t0, failed);
        fflush(stdout);
    }
    return 0;
}
