/* The floor: a minimal hand-written epoll server. Level-triggered, one read per
 * readiness into one static buffer, replies written straight away; what the kernel does
 * not take at once is kept per connection and flushed on EPOLLOUT. No callbacks, no
 * emitter, no allocation on the hot path: what a library cannot beat.
 *
 *   epoll_server pong|echo|http PORT [--reuse-port] [--loops N]
 *
 * --loops N: N threads, each with its own epoll set and listening socket on the port
 * (SO_REUSEPORT); --reuse-port alone sets the option on the one listening socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/protocol.h"

typedef struct {
    unsigned http_state;
    char *pending; /* bytes the kernel did not take yet */
    size_t pending_len;
} conn_t;

static enum bench_mode mode;
static _Thread_local int epfd;
static conn_t *conns; /* indexed by fd: shared by the threads, whose fds differ */
static struct rlimit rl;
static int port, reuse_port;
static _Thread_local char buf[64 * 1024];
static char replies[64 * 1024];
static size_t reply_len, replies_cap;

static void conn_close(int fd)
{
    free(conns[fd].pending);
    memset(&conns[fd], 0, sizeof conns[fd]);
    close(fd); /* also removes it from the epoll set: nobody else holds the fd */
}

/* Sends or queues; returns -1 when the connection failed. */
static int conn_send(int fd, const char *p, size_t len)
{
    conn_t *c = &conns[fd];
    if (c->pending_len == 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN)
            return -1;
        if (n < 0)
            n = 0;
        p += n;
        len -= (size_t)n;
        if (len == 0)
            return 0;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    c->pending = realloc(c->pending, c->pending_len + len);
    memcpy(c->pending + c->pending_len, p, len);
    c->pending_len += len;
    return 0;
}

static int conn_flush(int fd)
{
    conn_t *c = &conns[fd];
    ssize_t n = send(fd, c->pending, c->pending_len, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN ? 0 : -1;
    memmove(c->pending, c->pending + n, c->pending_len - (size_t)n);
    c->pending_len -= (size_t)n;
    if (c->pending_len == 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    return 0;
}

static int send_replies(int fd, size_t n)
{
    while (n > 0) {
        size_t k = n < replies_cap ? n : replies_cap;
        if (conn_send(fd, replies, k * reply_len) < 0)
            return -1;
        n -= k;
    }
    return 0;
}

static void conn_read(int fd)
{
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        if (n == 0 || errno != EAGAIN)
            conn_close(fd);
        return;
    }
    int r;
    if (mode == MODE_PONG)
        r = send_replies(fd, count_lines(buf, (size_t)n));
    else if (mode == MODE_HTTP)
        r = send_replies(fd, count_requests(buf, (size_t)n, &conns[fd].http_state));
    else
        r = conn_send(fd, buf, (size_t)n);
    if (r < 0)
        conn_close(fd);
}

static void *run_loop(void *arg)
{
    (void)arg;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port)
        setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 511) < 0) {
        perror("epoll_server: listen");
        exit(1);
    }
    epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(epfd, events, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if ((rlim_t)c >= rl.rlim_cur) {
                        close(c);
                        continue;
                    }
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            if ((events[i].events & EPOLLOUT) && conns[fd].pending_len && conn_flush(fd) < 0) {
                conn_close(fd);
                continue;
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                conn_read(fd);
        }
    }
}

int main(int argc, char **argv)
{
    mode = bench_mode_from(argc > 1 ? argv[1] : NULL);
    if (mode == MODE_BAD || argc < 3) {
        fprintf(stderr, "usage: epoll_server pong|echo|http PORT [--reuse-port] [--loops N]\n");
        return 2;
    }
    port = atoi(argv[2]);
    int loops = 1;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--reuse-port") == 0)
            reuse_port = 1;
        else if (strcmp(argv[i], "--loops") == 0 && i + 1 < argc)
            loops = atoi(argv[++i]);
    }
    if (loops > 1)
        reuse_port = 1;
    replies_cap = fill_mode_replies(mode, replies, sizeof replies, &reply_len);
    getrlimit(RLIMIT_NOFILE, &rl);
    conns = calloc(rl.rlim_cur, sizeof *conns);
    for (int i = 1; i < loops; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, run_loop, NULL) != 0)
            return 1;
    }
    run_loop(NULL);
    return 0;
}
