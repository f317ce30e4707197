/* Fault injection: one realistic scenario (TCP and UNIX servers, clients whose writes
 * queue, an encoding, idle timers, end, close), run once per allocation with that
 * allocation failing (and once more with every allocation from it on failing), each run
 * in its own process. Every run must end by itself, leak nothing, close every descriptor,
 * and surface each failure as NULL/-ENOMEM from a call or an 'error' event with -ENOMEM:
 * never a crash, a hang or silence. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"

/* ---- the allocator (per process: each run is a forked child) ---- */

static struct {
    long calls, fail_at, failed, live;
    bool fail_from; /* every allocation from fail_at on fails */
} alloc;

static bool should_fail(void)
{
    alloc.calls++;
    bool fail = alloc.fail_at > 0 &&
                (alloc.calls == alloc.fail_at || (alloc.fail_from && alloc.calls > alloc.fail_at));
    if (fail)
        alloc.failed++;
    return fail;
}

static void *fi_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = malloc(n);
    if (p)
        alloc.live++;
    return p;
}

static void *fi_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    void *q = realloc(p, n);
    if (q && !p)
        alloc.live++;
    return q;
}

static void fi_free(void *p)
{
    if (p)
        alloc.live--;
    free(p);
}

/* ---- the scenario ---- */

enum { CLIENTS = 2, PIECES = 24, PIECE = 48 * 1024 };

struct scenario {
    eddy_loop *loop;
    eddy_server *tcp, *unix_server;
    eddy_socket *clients[CLIENTS];
    bool client_closed[CLIENTS];
    int servers_listening;
    int enomem; /* failures seen as -ENOMEM or NULL */
    int other_errors;
    char dir[64], path[128];
    unsigned char piece[PIECE];
};

static void note(struct scenario *sc, int rc)
{
    if (rc == -ENOMEM)
        sc->enomem++;
}

static void on_error(const eddy_event *ev, void *ctx)
{
    struct scenario *sc = ctx;
    if (ev->u.error.code == -ENOMEM)
        sc->enomem++;
    else
        sc->other_errors++;
}

static void close_servers(struct scenario *sc)
{
    if (sc->tcp)
        eddy_server_close(sc->tcp, NULL, NULL);
    if (sc->unix_server)
        eddy_server_close(sc->unix_server, NULL, NULL);
    sc->tcp = sc->unix_server = NULL;
}

static void check_done(struct scenario *sc)
{
    for (int i = 0; i < CLIENTS; i++)
        if (!sc->client_closed[i])
            return;
    close_servers(sc);
}

/* A listener, or (when it cannot be added) the object is destroyed: the scenario cannot
 * follow an object it cannot hear from. */
static bool listen_to(struct scenario *sc, void *obj, const char *event, eddy_listener fn)
{
    int rc = eddy_on(eddy_emitter_of(obj), event, fn, sc);
    note(sc, rc);
    return rc == 0;
}

static void conn_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    /* utf8 text of ASCII bytes: the same bytes back */
    eddy_socket_write(ev->target, ev->u.data.bytes, ev->u.data.len, NULL, NULL);
}

static void conn_timeout(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_destroy(ev->target);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct scenario *sc = ctx;
    eddy_socket *conn = ev->u.socket;
    if (!listen_to(sc, conn, "error", on_error) || !listen_to(sc, conn, "data", conn_data)) {
        eddy_socket_destroy(conn);
        return;
    }
    note(sc, eddy_socket_set_encoding(conn, EDDY_ENC_UTF8));
    int rc = eddy_socket_set_timeout(conn, 20000, conn_timeout, sc);
    note(sc, rc);
}

static void client_close(const eddy_event *ev, void *ctx)
{
    struct scenario *sc = ctx;
    for (int i = 0; i < CLIENTS; i++)
        if (sc->clients[i] == ev->target)
            sc->client_closed[i] = true;
    check_done(sc);
}

static void client_timeout(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_destroy(ev->target);
}

static void client_write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    note(ctx, status);
}

static void client_connect(const eddy_event *ev, void *ctx)
{
    struct scenario *sc = ctx;
    eddy_socket *c = ev->target;
    /* Many writes in one callback: held, then queued in chunks and large requests. */
    for (int i = 0; i < PIECES; i++) {
        size_t len = i % 3 == 0 ? 100 : PIECE;
        eddy_socket_write(c, sc->piece, len, i % 4 == 0 ? client_write_cb : NULL, sc);
    }
    eddy_socket_end(c, "bye", 3);
}

static void start_client(struct scenario *sc, int i)
{
    eddy_socket *c =
        i == 0 ? eddy_create_connection(sc->loop, server_port(sc->tcp), "127.0.0.1", NULL, NULL)
               : eddy_create_connection_path(sc->loop, sc->path, NULL, NULL);
    if (!c) {
        sc->enomem++;
        sc->client_closed[i] = true;
        check_done(sc);
        return;
    }
    sc->clients[i] = c;
    if (!listen_to(sc, c, "close", client_close)) {
        eddy_socket_destroy(c);
        sc->client_closed[i] = true; /* its 'close' cannot be heard */
        check_done(sc);
        return;
    }
    if (!listen_to(sc, c, "error", on_error) || !listen_to(sc, c, "connect", client_connect)) {
        eddy_socket_destroy(c);
        return;
    }
    note(sc, eddy_socket_set_timeout(c, 20000, client_timeout, sc));
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct scenario *sc = ctx;
    (void)ev;
    if (++sc->servers_listening == 2)
        for (int i = 0; i < CLIENTS; i++)
            start_client(sc, i);
}

static void server_error(const eddy_event *ev, void *ctx)
{
    struct scenario *sc = ctx;
    on_error(ev, ctx);
    /* a listen that failed: the scenario cannot go on */
    if (ev->u.error.syscall && strcmp(ev->u.error.syscall, "listen") == 0) {
        for (int i = 0; i < CLIENTS; i++)
            if (!sc->clients[i])
                sc->client_closed[i] = true;
        close_servers(sc);
    }
}

static eddy_server *start_server(struct scenario *sc, bool over_unix)
{
    eddy_server *s = eddy_create_server(sc->loop, NULL, NULL, NULL);
    if (!s) {
        sc->enomem++;
        return NULL;
    }
    int rc = eddy_on(eddy_emitter_of(s), "connection", on_connection, sc);
    if (!rc)
        rc = eddy_on(eddy_emitter_of(s), "error", server_error, sc);
    if (!rc)
        rc = over_unix ? eddy_server_listen_path(s, sc->path, on_listening, sc)
                       : eddy_server_listen(s, 0, "127.0.0.1", on_listening, sc);
    if (rc) {
        note(sc, rc);
        eddy_server_close(s, NULL, NULL);
        return NULL;
    }
    return s;
}

static void limit_fire(void *arg)
{
    *(bool *)arg = true;
}

/* 0: fine. Otherwise what went wrong (the child's exit code). */
enum { RUN_OK, RUN_HANG = 10, RUN_BUSY, RUN_LEAK, RUN_SILENT, RUN_FDS };

static int run_scenario(void)
{
    int fds_before = open_fd_count();
    struct scenario *sc = calloc(1, sizeof *sc); /* not through eddy's allocator */
    strcpy(sc->dir, "/tmp/eddy-fi-XXXXXX");
    if (!mkdtemp(sc->dir))
        return 1;
    snprintf(sc->path, sizeof sc->path, "%s/s.sock", sc->dir);
    memset(sc->piece, 'a', sizeof sc->piece);
    eddy_set_allocator(fi_malloc, fi_realloc, fi_free);
    int result = RUN_OK;
    sc->loop = eddy_loop_new();
    if (!sc->loop) {
        sc->enomem++;
    } else {
        sc->tcp = start_server(sc, false);
        sc->unix_server = start_server(sc, true);
        if (!sc->tcp || !sc->unix_server)
            close_servers(sc);
        /* The time limit is the scenario's own timer: its allocation may fail too (then
         * the child's alarm is the limit). */
        bool *fired = calloc(1, sizeof *fired);
        eddy_timer *limit = eddy_set_timeout(sc->loop, 15000, limit_fire, fired);
        if (limit)
            eddy_timer_unref(limit);
        else
            sc->enomem++;
        int rc = eddy_loop_run(sc->loop, EDDY_RUN_DEFAULT);
        if (rc < 0 || *fired) {
            result = RUN_HANG;
        } else if (limit) {
            eddy_clear_timer(limit);
            eddy_loop_run(sc->loop, EDDY_RUN_NOWAIT); /* the cleared timer's memory */
        }
        free(fired);
        if (result == RUN_HANG)
            ;
        else if (eddy_loop_free(sc->loop) != 0)
            result = RUN_BUSY;
    }
    eddy_set_allocator(NULL, NULL, NULL);
    unlink(sc->path);
    rmdir(sc->dir);
    if (result == RUN_OK && alloc.live != 0)
        result = RUN_LEAK;
    if (result == RUN_OK && alloc.failed > 0 && sc->enomem == 0)
        result = RUN_SILENT;
    if (result == RUN_OK && open_fd_count() != fds_before)
        result = RUN_FDS;
    free(sc);
    return result;
}

/* Runs the scenario in a child with the given failure; returns a description of what
 * went wrong, or NULL. The child's allocation count goes to *calls. */
static const char *run_child(long fail_at, bool fail_from, long *calls)
{
    static char why[128];
    int pfd[2];
    cr_assert_eq(pipe(pfd), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(pfd[0]);
        alarm(60); /* a hang the loop's own limit did not catch */
        alloc.fail_at = fail_at;
        alloc.fail_from = fail_from;
        long report[2] = {run_scenario(), alloc.calls};
        ssize_t w = write(pfd[1], report, sizeof report);
        (void)w;
        close(pfd[1]);
        /* Leave by exec, not exit: the fork copied Criterion's memory but not its threads,
         * and an exit would have valgrind report that memory as lost in every child. Our
         * own leak check (alloc.live) is already done. */
        execl("/bin/true", "true", (char *)NULL);
        _exit(1);
    }
    close(pfd[1]);
    long report[2] = {-1, 0};
    ssize_t n = read(pfd[0], report, sizeof report);
    close(pfd[0]);
    *calls = report[1];
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
        snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
        return why;
    }
    if (n != (ssize_t)sizeof report) {
        snprintf(why, sizeof why, "the child died without a report (exit %d)", WEXITSTATUS(status));
        return why;
    }
    long code = report[0];
    const char *names[] = {[RUN_HANG] = "did not end",
                           [RUN_BUSY] = "loop_free: -EBUSY",
                           [RUN_LEAK] = "leaked memory",
                           [RUN_SILENT] = "a failure was silent",
                           [RUN_FDS] = "leaked descriptors"};
    if (code == 0)
        return NULL;
    snprintf(why, sizeof why, "%s (%ld)",
             code > 0 && code < (long)(sizeof names / sizeof names[0]) && names[code] ? names[code]
                                                                                      : "failed",
             code);
    return why;
}

Test(fault_injection, every_failed_allocation_is_reported_and_nothing_leaks_or_hangs,
     .timeout = 900)
{
    long total;
    const char *why = run_child(0, false, &total);
    cr_assert_null(why, "the scenario without failures: %s", why);
    cr_assert_gt(total, 20, "the scenario allocates (%ld)", total);
    int failures = 0;
    for (long n = 1; n <= total; n++) {
        for (int from = 0; from < 2; from++) {
            long calls;
            why = run_child(n, from, &calls);
            if (why) {
                cr_log_error("allocation %ld%s failing: %s", n, from ? " and later ones" : "", why);
                failures++;
            }
        }
    }
    cr_assert_eq(failures, 0, "%d of %ld runs failed", failures, 2 * total);
}
