/* eddy-nc: netcat on eddy. stdin goes to the socket, the socket to stdout.
 *
 *   eddy-nc [options] host port        connect (host: an IP literal or localhost)
 *   eddy-nc [options] -U path          connect to a UNIX socket
 *   eddy-nc -l [options] [host] port   listen, take one connection (port 0: any; -v says which)
 *   eddy-nc -l [options] -U path       listen on a UNIX socket
 * options:
 *   --allow-half-open  after the peer's FIN, keep sending stdin until its end (default: the
 *                      peer's FIN ends the session, as OpenBSD nc does)
 *   -w secs            give up after secs without traffic on the connection
 *   -v                 say on stderr where it listens and what ended the session
 *
 * At the end of stdin the socket is half-closed (FIN), and the output keeps coming until
 * the peer ends too. Exit status: 0 when the session ended cleanly (every byte of stdin was
 * handed to the kernel and the peer ended its side), 1 on a network error (refused, reset,
 * listen failed, stdout closed), 2 on a usage error, 3 on the -w idle timeout, 130 on
 * SIGINT, 143 on SIGTERM.
 *
 * How stdin is read: when it is a socket (socat's EXEC, inetd) or a pipe, eddy wraps it
 * and reads it itself (eddy_socket_new with {.fd = 0, .use_fd = true}). A tty is not
 * wrapped (making it non-blocking would change the terminal for the shell too) and a
 * regular file cannot be (eddy_socket_new returns NULL): then a thread reads it with
 * blocking read(2) into a socketpair, and eddy reads the other end: backpressure still
 * reaches stdin (the thread blocks when the socketpair is full because eddy paused it).
 * stdout is written the same way, by a thread, so that a slow terminal or pipe never
 * blocks the loop and eddy's write queue gives the backpressure. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy.h"

/* macOS has no MSG_NOSIGNAL: there, SIGPIPE is ignored in main instead. */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#define EDDY_NC_IGNORE_SIGPIPE 1
#endif

enum { EXIT_OK = 0, EXIT_NET = 1, EXIT_USAGE = 2, EXIT_IDLE = 3, PUMP_BUFFER = 64 * 1024 };

static struct {
    eddy_loop *loop;
    eddy_server *server;
    eddy_socket *net, *in, *out;
    bool half_open, verbose, listening, connected;
    uint64_t idle_ms;
    int status;
    int in_fd, out_fd; /* the thread's ends of the socketpairs, -1 when unused */
    pthread_t out_thread;
    bool out_thread_started;
} nc = {.in_fd = -1, .out_fd = -1};

static void usage(void)
{
    fprintf(stderr, "usage: eddy-nc [--allow-half-open] [-w secs] [-v] host port\n"
                    "       eddy-nc [options] -U path\n"
                    "       eddy-nc -l [options] [host] port | -l [options] -U path\n");
    exit(EXIT_USAGE);
}

static void fail(int status, const char *what, int err)
{
    if (nc.status == EXIT_OK)
        nc.status = status;
    fprintf(stderr, "eddy-nc: %s: %s\n", what, eddy_strerror(err));
}

/* ---- the threads that move bytes between stdio and socketpairs ---- */

static int write_all(int fd, const char *p, size_t n, bool socket)
{
    while (n > 0) {
        ssize_t w = socket ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) { /* stdout shares a non-blocking description */
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            poll(&pfd, 1, -1);
            continue;
        }
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *stdin_pump(void *arg)
{
    (void)arg;
    static char buf[PUMP_BUFFER];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || write_all(nc.in_fd, buf, (size_t)n, true) < 0)
            break;
    }
    shutdown(nc.in_fd, SHUT_WR); /* eddy sees the end of stdin as 'end' */
    return NULL;
}

static void *stdout_pump(void *arg)
{
    (void)arg;
    static char buf[PUMP_BUFFER];
    for (;;) {
        ssize_t n = recv(nc.out_fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (write_all(1, buf, (size_t)n, false) < 0) {
            shutdown(nc.out_fd, SHUT_RDWR); /* eddy's writes to it now fail: 'error' */
            break;
        }
    }
    /* The descriptor stays open: the stdout socket must close after the network socket
     * (on_net_close shuts this end), see on_net_close. main closes it after the join. */
    return NULL;
}

static eddy_socket *pump_socket(void *(*pump)(void *), int *thread_fd, pthread_t *th)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
        return NULL;
    eddy_socket_options o = {.fd = sp[0], .type = "unix", .allow_half_open = true};
    eddy_socket *s = eddy_socket_new(nc.loop, &o);
    *thread_fd = sp[1];
    pthread_t local;
    if (!s || pthread_create(th ? th : &local, NULL, pump, NULL) != 0)
        return NULL;
    if (!th)
        pthread_detach(local); /* stdin's thread may block in read(0) until exit */
    return s;
}

/* ---- the session ---- */

static void stop_input(void)
{
    if (nc.in) {
        eddy_socket_destroy(nc.in);
        nc.in = NULL;
    }
}

static void on_in_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    nc.in = NULL;
}

/* The end of stdin: the pipe (whose listener runs first) has ended the connection. The
 * stdin socket is released without ending it: when stdin is a socket shared with stdout
 * (socat EXEC), our FIN on it would end stdout too. */
static void on_in_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    stop_input();
}

static void on_out_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    nc.out = NULL; /* released after this 'close': forget the pointer */
}

static void on_out_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    fail(EXIT_NET, "stdout", ev->u.error.code);
    if (nc.net)
        eddy_socket_destroy(nc.net);
    stop_input();
}

static void on_net_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    if (nc.verbose)
        fprintf(stderr, "eddy-nc: the peer ended its side\n");
    if (!nc.half_open)
        stop_input(); /* the socket ends itself now: nothing more goes out */
}

static void on_net_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    fail(EXIT_NET, ev->u.error.syscall, ev->u.error.code);
}

static void on_net_timeout(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    if (nc.status == EXIT_OK)
        nc.status = EXIT_IDLE;
    fprintf(stderr, "eddy-nc: no traffic for %llu s: closing\n",
            (unsigned long long)(nc.idle_ms / 1000));
    eddy_socket_destroy(ev->target);
}

static void on_net_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    if (ev->u.had_error && nc.status == EXIT_OK)
        nc.status = EXIT_NET;
    nc.net = NULL;
    stop_input();
    if (nc.out)
        eddy_socket_end(nc.out, NULL, 0); /* already ended by the pipe unless it failed */
    /* Now the stdout socket may close: its read side ends here. Until this point it was
     * kept open, so that it never closes before the network socket that pipes into it:
     * when it did, the pipe's 'end' listener on the network socket still ran at that
     * socket's 'close' and ended the freed stdout socket (an eddy bug, reported). */
    shutdown(nc.out_fd, SHUT_WR);
    eddy_loop_close_all(nc.loop); /* the signal watchers */
}

static void start_session(eddy_socket *net)
{
    nc.net = net;
    eddy_emitter *e = eddy_emitter_of(net);
    eddy_on(e, "end", on_net_end, NULL);
    eddy_on(e, "error", on_net_error, NULL);
    eddy_on(e, "close", on_net_close, NULL);
    if (nc.idle_ms)
        eddy_socket_set_timeout(net, nc.idle_ms, on_net_timeout, NULL);
    eddy_socket_pipe(net, nc.out, true); /* the peer's FIN ends stdout */
    eddy_socket_pipe(nc.in, net, true);  /* the end of stdin half-closes the socket */
    eddy_on(eddy_emitter_of(nc.in), "end", on_in_end, NULL);
    eddy_socket_resume(nc.in);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_server_close(nc.server, NULL, NULL); /* one connection, as nc -l */
    if (nc.verbose)
        fprintf(stderr, "eddy-nc: connection accepted\n");
    start_session(ev->u.socket);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_address a;
    if (nc.verbose && eddy_server_address(ev->target, &a) == 0) {
        if (a.port)
            fprintf(stderr, "eddy-nc: listening on %s port %d\n", a.address, a.port);
        else
            fprintf(stderr, "eddy-nc: listening on %s\n", a.address);
    }
}

/* Before any session: closes what exists, so that the loop ends and frees. */
static void give_up(void)
{
    if (nc.server)
        eddy_server_close(nc.server, NULL, NULL);
    stop_input();
    if (nc.out)
        eddy_socket_end(nc.out, NULL, 0);
    shutdown(nc.out_fd, SHUT_WR);
    eddy_loop_close_all(nc.loop);
}

static void on_server_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    fail(EXIT_NET, ev->u.error.syscall, ev->u.error.code);
    give_up();
}

static void on_signal(int signum, void *ctx)
{
    (void)ctx;
    nc.status = 128 + signum;
    if (nc.server)
        eddy_server_close(nc.server, NULL, NULL);
    if (nc.net)
        eddy_socket_destroy(nc.net);
    stop_input();
    if (nc.out)
        eddy_socket_destroy(nc.out);
    eddy_loop_close_all(nc.loop);
}

int main(int argc, char **argv)
{
    const char *path = NULL, *args[2];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-l"))
            nc.listening = true;
        else if (!strcmp(argv[i], "-v"))
            nc.verbose = true;
        else if (!strcmp(argv[i], "--allow-half-open"))
            nc.half_open = true;
        else if (!strcmp(argv[i], "-U") && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "-w") && i + 1 < argc)
            nc.idle_ms = (uint64_t)strtoull(argv[++i], NULL, 10) * 1000;
        else if (argv[i][0] == '-' && argv[i][1])
            usage();
        else if (nargs < 2)
            args[nargs++] = argv[i];
        else
            usage();
    }
    if (path ? nargs != 0 : (nc.listening ? nargs < 1 : nargs != 2))
        usage();
    const char *host = nargs == 2 ? args[0] : NULL;
    char *end;
    long port = path ? 0 : strtol(args[nargs - 1], &end, 10);
    if (!path && (*end || port < 0 || port > 65535 || (!nc.listening && port == 0)))
        usage();

#ifdef EDDY_NC_IGNORE_SIGPIPE
    signal(SIGPIPE, SIG_IGN);
#endif
    nc.loop = eddy_loop_new();
    if (!nc.loop)
        return EXIT_NET;
    eddy_signal_start(nc.loop, SIGINT, on_signal, NULL);
    eddy_signal_start(nc.loop, SIGTERM, on_signal, NULL);

    /* stdin: wrapped when it is a socket or a pipe, else fed through a thread */
    eddy_socket_options stdin_opts = {.fd = 0, .use_fd = true, .allow_half_open = true};
    nc.in = isatty(0) ? NULL : eddy_socket_new(nc.loop, &stdin_opts);
    if (!nc.in)
        nc.in = pump_socket(stdin_pump, &nc.in_fd, NULL);
    nc.out = pump_socket(stdout_pump, &nc.out_fd, &nc.out_thread);
    if (!nc.in || !nc.out) {
        fprintf(stderr, "eddy-nc: cannot set up stdin/stdout\n");
        return EXIT_NET;
    }
    nc.out_thread_started = true;
    eddy_on(eddy_emitter_of(nc.in), "close", on_in_close, NULL);
    eddy_on(eddy_emitter_of(nc.out), "error", on_out_error, NULL);
    eddy_on(eddy_emitter_of(nc.out), "close", on_out_close, NULL);
    eddy_socket_pause(nc.in); /* until there is somewhere to send it */

    if (nc.listening) {
        eddy_server_options so = {.allow_half_open = nc.half_open};
        nc.server = eddy_create_server(nc.loop, &so, on_connection, NULL);
        eddy_on(eddy_emitter_of(nc.server), "error", on_server_error, NULL);
        int rc = path ? eddy_server_listen_path(nc.server, path, on_listening, NULL)
                      : eddy_server_listen(nc.server, (int)port, host, on_listening, NULL);
        if (rc < 0) {
            fprintf(stderr, "eddy-nc: cannot listen there: %s\n", eddy_strerror(rc));
            nc.status = EXIT_USAGE;
            give_up();
        }
    } else {
        eddy_socket_options o = {.fd = -1, .allow_half_open = nc.half_open};
        eddy_socket *s = eddy_socket_new(nc.loop, &o);
        int rc = path ? eddy_socket_connect_path(s, path, NULL, NULL)
                      : eddy_socket_connect(s, (int)port, host, NULL, NULL);
        if (rc < 0) {
            fprintf(stderr, "eddy-nc: cannot connect there: %s\n", eddy_strerror(rc));
            nc.status = EXIT_USAGE;
            eddy_socket_destroy(s);
            give_up();
        } else {
            start_session(s);
        }
    }
    eddy_loop_run(nc.loop, EDDY_RUN_DEFAULT);
    pthread_join(nc.out_thread, NULL); /* everything the peer sent is on stdout now */
    close(nc.out_fd);
    if (eddy_loop_free(nc.loop) != 0 && nc.status == EXIT_OK) {
        fprintf(stderr, "eddy-nc: objects still alive at exit\n");
        nc.status = EXIT_NET;
    }
    return nc.status;
}
