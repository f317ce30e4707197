/* Names: the worker pool, 'lookup', user resolvers, happy eyeballs, listen on a name,
 * IPv6 reporting. No test depends on DNS: names come from /etc/hosts ("localhost", and
 * another name of it when there is one), from under .invalid (never resolves, RFC 6761),
 * or from a resolver of the test's own. All traffic is on loopback. */
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "net/net_internal.h"
#include "net_helpers.h"

/* ---- helpers ---- */

static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* What getaddrinfo says of host (as the pool asks: SOCK_STREAM, ADDRCONFIG when
 * addrconfig), formatted, space-separated. */
static void expected_addresses(const char *host, int family, bool addrconfig, char *out, size_t cap)
{
    struct addrinfo hints = {0}, *list, *ai;
    hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = addrconfig ? AI_ADDRCONFIG : 0;
    out[0] = '\0';
    if (getaddrinfo(host, NULL, &hints, &list) != 0)
        return;
    size_t len = 0;
    for (ai = list; ai; ai = ai->ai_next) {
        char buf[INET6_ADDRSTRLEN];
        const void *a = ai->ai_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
        inet_ntop(ai->ai_family, a, buf, sizeof buf);
        len += (size_t)snprintf(out + len, cap - len, "%s%s/%d", len ? " " : "", buf,
                                ai->ai_family == AF_INET6 ? 6 : 4);
    }
    freeaddrinfo(list);
}

/* A name of /etc/hosts other than localhost, for a loopback address; false if none. */
static bool hosts_file_loopback_name(char *name, size_t cap, char *addr, size_t acap)
{
    FILE *f = fopen("/etc/hosts", "r");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *save = NULL, *ip = strtok_r(line, " \t\r\n", &save);
        if (!ip || ip[0] == '#' || (strncmp(ip, "127.", 4) != 0 && strcmp(ip, "::1") != 0))
            continue;
        for (char *n = strtok_r(NULL, " \t\r\n", &save); n && !found;
             n = strtok_r(NULL, " \t\r\n", &save)) {
            if (n[0] == '#')
                break;
            if (strcmp(n, "localhost") == 0 || strchr(n, '.') || eddy_is_ip(n))
                continue;
            snprintf(name, cap, "%s", n);
            snprintf(addr, acap, "%s", ip);
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* What the tests see of a socket: 'lookup' entries, 'connect', 'error', 'close'. */
typedef struct {
    char log[1024];
    size_t len;
    int lookups;
    int error_code;
    char error_syscall[16];
    char error_hostname[64];
    char error_address[64];
    int error_port;
    bool error_address_null;
    bool connected;
    eddy_address remote;
    uint64_t connected_at_ns;
} trace;

static void trace_add(trace *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (t->len && t->len < sizeof t->log - 1)
        t->log[t->len++] = ' ';
    int n = vsnprintf(t->log + t->len, sizeof t->log - t->len, fmt, ap);
    if (n > 0)
        t->len += (size_t)n < sizeof t->log - t->len ? (size_t)n : sizeof t->log - t->len - 1;
    va_end(ap);
}

static void on_lookup(const eddy_event *ev, void *ctx)
{
    trace *t = ctx;
    t->lookups++;
    if (ev->u.lookup.code)
        trace_add(t, "lookup(%s,%s,%d,%s)", eddy_err_name(ev->u.lookup.code),
                  ev->u.lookup.address ? ev->u.lookup.address : "NULL", ev->u.lookup.family,
                  ev->u.lookup.host);
    else
        trace_add(t, "lookup(%s/%d,%s)", ev->u.lookup.address, ev->u.lookup.family,
                  ev->u.lookup.host);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    trace *t = ctx;
    t->connected = true;
    t->connected_at_ns = mono_ns();
    eddy_socket_remote_address(ev->target, &t->remote);
    trace_add(t, "connect");
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_error(const eddy_event *ev, void *ctx)
{
    trace *t = ctx;
    t->error_code = ev->u.error.code;
    snprintf(t->error_syscall, sizeof t->error_syscall, "%s",
             ev->u.error.syscall ? ev->u.error.syscall : "");
    snprintf(t->error_hostname, sizeof t->error_hostname, "%s",
             ev->u.error.hostname ? ev->u.error.hostname : "");
    t->error_address_null = ev->u.error.address == NULL;
    snprintf(t->error_address, sizeof t->error_address, "%s",
             ev->u.error.address ? ev->u.error.address : "");
    t->error_port = ev->u.error.port;
    trace_add(t, "error(%s,%s)", eddy_err_name(ev->u.error.code), t->error_syscall);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    trace *t = ctx;
    trace_add(t, "close(%s)", ev->u.had_error ? "true" : "false");
}

static void trace_socket(eddy_socket *s, trace *t)
{
    cr_assert_not_null(s);
    eddy_emitter *e = eddy_emitter_of(s);
    eddy_on(e, "lookup", on_lookup, t);
    eddy_on(e, "connect", on_connect, t);
    eddy_on(e, "error", on_error, t);
    eddy_on(e, "close", on_close, t);
}

/* A server that ends every connection, on host (port 0: any). */
static void end_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_end(ev->u.socket, NULL, 0);
}

static eddy_server *server_on(eddy_loop *loop, const char *host, int port)
{
    eddy_server *srv = eddy_create_server(loop, NULL, end_connection, NULL);
    cr_assert_eq(eddy_server_listen(srv, port, host, NULL, NULL), 0);
    for (int i = 0; i < 100 && server_port(srv) < 0; i++)
        eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    cr_assert_gt(server_port(srv), 0, "the server on %s did not listen", host ? host : "NULL");
    return srv;
}

/* Closes the server once the client closed. */
static void close_server_after(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(ctx, NULL, NULL);
}

/* Closes the server once n clients closed. */
typedef struct {
    int n;
    eddy_server *srv;
} countdown;

static void close_server_countdown(const eddy_event *ev, void *ctx)
{
    (void)ev;
    countdown *c = ctx;
    if (--c->n == 0)
        eddy_server_close(c->srv, NULL, NULL);
}

/* ---- error codes ---- */

Test(resolve, eai_codes_have_node_names_and_cannot_collide_with_errno)
{
    cr_assert_str_eq(eddy_err_name(EDDY_ENOTFOUND), "ENOTFOUND");
    cr_assert_eq(EDDY_ENOTFOUND, -3008); /* Node's err.errno for ENOTFOUND */
    cr_assert_str_eq(eddy_err_name(EDDY_EAI_NODATA), "ENOTFOUND");
    cr_assert_str_eq(eddy_err_name(EDDY_EAI_AGAIN), "EAI_AGAIN");
    cr_assert_str_eq(eddy_err_name(EDDY_EAI_FAIL), "EAI_FAIL");
    cr_assert_str_eq(eddy_err_name(EDDY_EAI_FAMILY), "EAI_FAMILY");
    cr_assert_str_eq(eddy_err_name(EDDY_EAI_MEMORY), "EAI_MEMORY");
    cr_assert_str_eq(eddy_err_name(EDDY_EAI_SERVICE), "EAI_SERVICE");
    cr_assert_str_eq(eddy_err_name(EDDY_EAI_CANCELED), "EAI_CANCELED");
    cr_assert_str_eq(eddy_err_name(EDDY_EAI_ADDRFAMILY), "EAI_ADDRFAMILY");
    cr_assert_str_neq(eddy_strerror(EDDY_ENOTFOUND), "unknown error");
    for (int e = 1; e < 200; e++)
        cr_assert(e < 3000 && -e != EDDY_ENOTFOUND);
}

/* ---- the pool ---- */

Test(resolve, a_program_of_ip_literals_and_paths_has_one_thread)
{
    /* Criterion's test process has a thread of its own: counts are relative to it (the
     * absolute count, 1, is checked by tests/thread_count.c outside Criterion). */
    int before = thread_count();
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, "127.0.0.1", 0);
    trace t = {0};
    eddy_socket *c = eddy_create_connection(loop, server_port(srv), "127.0.0.1", NULL, NULL);
    trace_socket(c, &t);
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(t.log, "connect close(false)");
    cr_assert_eq(thread_count(), before);
    cr_assert_eq(eddy__resolve_workers(loop), 0);
    assert_all_released(loop, fds_before);
    cr_assert_eq(thread_count(), before);
}

Test(resolve, the_first_lookup_starts_a_worker_and_loop_free_joins_it)
{
    int before = thread_count();
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, NULL, 0);
    cr_assert_eq(thread_count(), before, "listening on the any-address starts no thread");
    trace t = {0};
    eddy_socket *c = eddy_create_connection(loop, server_port(srv), "localhost", NULL, NULL);
    trace_socket(c, &t);
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert_eq(eddy__resolve_workers(loop), 1);
    cr_assert_eq(thread_count(), before + 1);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert(t.connected, "%s", t.log);
    cr_assert_eq(thread_count(), before + 1, "the worker stays for the next lookup");
    assert_all_released(loop, fds_before);
    cr_assert_eq(thread_count(), before, "eddy_loop_free joined the worker");
}

/* "localhost" is whatever getaddrinfo (so Node) says on this machine, in its order. */
Test(resolve, localhost_resolves_as_getaddrinfo_says_then_connects)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, NULL, 0); /* "::": IPv4 and IPv6 */
    trace t = {0};
    eddy_socket *c = eddy_create_connection(loop, server_port(srv), NULL, NULL, NULL);
    trace_socket(c, &t);
    cr_assert(eddy_socket_connecting(c));
    cr_assert(eddy_socket_pending(c));
    cr_assert_str_eq(eddy_socket_ready_state(c), "opening");
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert(loop_ends_by_itself(loop, 5000));

    char want[512], got[1024] = "";
    expected_addresses("localhost", 0, true, want, sizeof want);
    cr_assert_neq(want[0], '\0');
    /* one 'lookup' per address, each before 'connect' */
    size_t len = 0;
    char *save = NULL, copy[512];
    snprintf(copy, sizeof copy, "%s", want);
    for (char *a = strtok_r(copy, " ", &save); a; a = strtok_r(NULL, " ", &save))
        len += (size_t)snprintf(got + len, sizeof got - len, "lookup(%s,localhost) ", a);
    snprintf(got + len, sizeof got - len, "connect close(false)");
    cr_assert_str_eq(t.log, got);
    assert_all_released(loop, fds_before);
}

Test(resolve, a_name_from_etc_hosts_resolves_and_connects)
{
    char name[128], addr[64];
    if (!hosts_file_loopback_name(name, sizeof name, addr, sizeof addr))
        cr_skip_test("no loopback name other than localhost in /etc/hosts");
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, NULL, 0);
    trace t = {0};
    eddy_connect_options o = {.port = server_port(srv), .host = name};
    eddy_socket *c = eddy_connect(loop, &o, NULL, NULL);
    trace_socket(c, &t);
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert(t.connected, "%s", t.log);
    cr_assert_geq(t.lookups, 1);
    char want[320];
    snprintf(want, sizeof want, "lookup(%s/%d,%s)", addr, eddy_is_ip(addr), name);
    cr_assert(strstr(t.log, want), "%s has no %s", t.log, want);
    assert_all_released(loop, fds_before);
}

Test(resolve, a_name_that_does_not_resolve_is_lookup_then_error_enotfound_then_close)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    trace t = {0};
    eddy_socket *c = eddy_create_connection(loop, 80, "nosuch.invalid", NULL, NULL);
    cr_assert_not_null(c, "a name's failure is an event, never NULL");
    trace_socket(c, &t);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_str_eq(t.log, "lookup(ENOTFOUND,NULL,0,nosuch.invalid) error(ENOTFOUND,getaddrinfo) "
                            "close(true)");
    cr_assert_eq(t.error_code, EDDY_ENOTFOUND);
    cr_assert_str_eq(t.error_hostname, "nosuch.invalid");
    cr_assert(t.error_address_null);
    cr_assert_eq(t.error_port, -1);
    assert_all_released(loop, fds_before);
}

Test(resolve, family_restricts_the_lookup)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, NULL, 0);
    trace t4 = {0}, t6 = {0};
    eddy_connect_options o = {.port = server_port(srv), .host = "localhost", .family = 4};
    eddy_socket *c4 = eddy_connect(loop, &o, NULL, NULL);
    trace_socket(c4, &t4);
    o.family = 6;
    eddy_socket *c6 = eddy_connect(loop, &o, NULL, NULL);
    trace_socket(c6, &t6);
    countdown cd = {2, srv};
    eddy_on(eddy_emitter_of(c4), "close", close_server_countdown, &cd);
    eddy_on(eddy_emitter_of(c6), "close", close_server_countdown, &cd);
    cr_assert(loop_ends_by_itself(loop, 5000));
    char want4[256], want6[256];
    expected_addresses("localhost", 4, false, want4, sizeof want4);
    expected_addresses("localhost", 6, false, want6, sizeof want6);
    cr_assert(strstr(t4.log, "/6,") == NULL, "%s", t4.log);
    cr_assert(t4.connected, "%s", t4.log);
    if (want6[0]) {
        cr_assert(strstr(t6.log, "/4,") == NULL, "%s", t6.log);
        cr_assert(t6.connected, "%s", t6.log);
    } else {
        /* Node v20 on a machine whose /etc/hosts has no ::1 localhost: ENOTFOUND */
        cr_assert_str_eq(t6.log, "lookup(ENOTFOUND,NULL,0,localhost) error(ENOTFOUND,getaddrinfo) "
                                 "close(true)");
    }
    assert_all_released(loop, fds_before);
}

/* ---- destroy during a lookup, loop_free with lookups in flight ---- */

static atomic_int gate; /* 0: workers wait in the test delay; 1: they go on */
static atomic_int waiting;

static void gated_delay(const char *host)
{
    (void)host;
    atomic_fetch_add(&waiting, 1);
    while (!atomic_load(&gate))
        usleep(1000);
}

Test(resolve, destroy_during_the_lookup_gives_close_false_only_and_drops_the_result)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    atomic_store(&gate, 0);
    atomic_store(&waiting, 0);
    cr_assert_eq(eddy__resolve_test_delay(loop, gated_delay), 0);
    trace t = {0};
    eddy_socket *c = eddy_create_connection(loop, 80, "localhost", NULL, NULL);
    trace_socket(c, &t);
    for (int i = 0; i < 2000 && !atomic_load(&waiting); i++)
        usleep(1000);
    cr_assert_eq(atomic_load(&waiting), 1, "the worker never started the lookup");
    eddy_socket_destroy(c);
    for (int i = 0; i < 5; i++)
        eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    cr_assert_str_eq(t.log, "close(false)");
    /* The socket is gone; its lookup is not, and the loop cannot be freed yet. */
    cr_assert_eq(eddy_loop_free(loop), -EBUSY);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_NOWAIT), 1, "a lookup in flight keeps it alive");
    atomic_store(&gate, 1);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(t.log, "close(false)", "the late result reached the socket: %s", t.log);
    assert_all_released(loop, fds_before);
}

Test(resolve, destroy_from_lookup_listener_stops_the_connect)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, "127.0.0.1", 0);
    trace t = {0};
    eddy_socket *c = eddy_create_connection(loop, server_port(srv), "localhost", NULL, NULL);
    eddy_on(eddy_emitter_of(c), "lookup", destroy_target_listener, NULL);
    trace_socket(c, &t);
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert(strncmp(t.log, "lookup(", 7) == 0, "%s", t.log);
    cr_assert(strstr(t.log, "connect") == NULL, "%s", t.log);
    cr_assert(strstr(t.log, "close(false)"), "%s", t.log);
    cr_assert_eq(t.lookups, 1, "no 'lookup' after destroy: %s", t.log);
    assert_all_released(loop, fds_before);
}

static void write_cb_count(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    if (status == 0)
        (*(int *)ctx)++;
}

static void server_collect(const eddy_event *ev, void *ctx)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    size_t k = ev->u.data.len < 63 - n ? ev->u.data.len : 63 - n;
    memcpy(buf + n, ev->u.data.bytes, k);
    buf[n + k] = '\0';
}

static void server_reads(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "data", server_collect, ctx);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", end_target_listener, NULL);
}

Test(resolve, writes_made_during_the_lookup_are_sent_after_connect)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    char got[64] = "";
    eddy_server *srv = eddy_create_server(loop, NULL, server_reads, got);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", NULL, NULL), 0);
    while (server_port(srv) < 0)
        eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    eddy_connect_options o = {.port = server_port(srv), .host = "localhost", .family = 4};
    eddy_socket *c = eddy_connect(loop, &o, NULL, NULL);
    int written = 0;
    eddy_socket_write(c, "hello ", 6, write_cb_count, &written);
    eddy_socket_end(c, "world", 5);
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(got, "hello world");
    cr_assert_eq(written, 1);
    assert_all_released(loop, fds_before);
}

/* ---- user resolvers ---- */

typedef struct {
    eddy_loop *loop;
    eddy_lookup *req;
    const char *addrs[4];
    size_t count;
    int err;
    int calls, family;
    char host[64];
    int timer_ticks_before_done;
    int *ticks;
    int done_rc;
} resolver_ctx;

static void resolve_now(eddy_lookup *req, const char *host, int family, void *ctx)
{
    resolver_ctx *r = ctx;
    r->calls++;
    r->family = family;
    snprintf(r->host, sizeof r->host, "%s", host);
    r->done_rc = eddy_lookup_done(req, r->err, r->addrs, r->count);
}

static void resolve_later_fire(void *arg)
{
    resolver_ctx *r = arg;
    if (r->ticks)
        r->timer_ticks_before_done = *r->ticks;
    r->done_rc = eddy_lookup_done(r->req, r->err, r->addrs, r->count);
}

/* A slow resolver: answers 150 ms later, from a timer of the loop. */
static void resolve_later(eddy_lookup *req, const char *host, int family, void *ctx)
{
    resolver_ctx *r = ctx;
    r->calls++;
    r->family = family;
    r->req = req;
    snprintf(r->host, sizeof r->host, "%s", host);
    eddy_set_timeout(r->loop, 150, resolve_later_fire, r);
}

static void tick(void *arg)
{
    (*(int *)arg)++;
}

Test(resolve, a_slow_user_resolver_does_not_stop_the_loop)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, "127.0.0.1", 0);
    int ticks = 0;
    eddy_timer *iv = eddy_set_interval(loop, 20, tick, &ticks);
    eddy_timer_unref(iv);
    resolver_ctx r = {.loop = loop, .addrs = {"127.0.0.1"}, .count = 1, .ticks = &ticks};
    eddy_connect_options o = {
        .port = server_port(srv), .host = "db.internal", .lookup = resolve_later, .lookup_ctx = &r};
    trace t = {0};
    eddy_socket *c = eddy_connect(loop, &o, NULL, NULL);
    trace_socket(c, &t);
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert_eq(r.calls, 1);
    cr_assert_str_eq(r.host, "db.internal");
    cr_assert_eq(eddy__resolve_workers(loop), 0, "a user resolver starts no thread");
    cr_assert(loop_ends_by_itself(loop, 5000));
    eddy_clear_timer(iv);
    cr_assert_geq(r.timer_ticks_before_done, 3, "the loop stood still during the lookup");
    cr_assert_str_eq(t.log, "lookup(127.0.0.1/4,db.internal) connect close(false)");
    cr_assert_eq(r.done_rc, 0);
    assert_all_released(loop, fds_before);
}

Test(resolve, a_resolver_that_answers_at_once_still_emits_from_the_loop)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, "127.0.0.1", 0);
    resolver_ctx r = {.addrs = {"127.0.0.1"}, .count = 1};
    eddy_connect_options o = {
        .port = server_port(srv), .host = "cached", .lookup = resolve_now, .lookup_ctx = &r};
    trace t = {0};
    eddy_socket *c = eddy_connect(loop, &o, NULL, NULL);
    trace_socket(c, &t); /* listeners added after the resolver answered */
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(t.log, "lookup(127.0.0.1/4,cached) connect close(false)");
    assert_all_released(loop, fds_before);
}

Test(resolve, a_resolver_error_is_lookup_then_error_with_its_code)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    resolver_ctx r = {.err = EDDY_EAI_AGAIN};
    eddy_connect_options o = {.port = 80, .host = "flaky", .lookup = resolve_now, .lookup_ctx = &r};
    trace t = {0};
    trace_socket(eddy_connect(loop, &o, NULL, NULL), &t);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(t.log,
                     "lookup(EAI_AGAIN,NULL,0,flaky) error(EAI_AGAIN,getaddrinfo) close(true)");
    cr_assert_str_eq(t.error_hostname, "flaky");
    assert_all_released(loop, fds_before);
}

Test(resolve, a_resolver_address_that_is_not_an_ip_fails_the_socket)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    resolver_ctx r = {.addrs = {"not-an-ip"}, .count = 1};
    eddy_connect_options o = {.port = 80, .host = "bad", .lookup = resolve_now, .lookup_ctx = &r};
    trace t = {0};
    trace_socket(eddy_connect(loop, &o, NULL, NULL), &t);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(r.done_rc, -EINVAL);
    cr_assert_str_eq(t.log, "lookup(EINVAL,NULL,0,bad) error(EINVAL,getaddrinfo) close(true)");
    assert_all_released(loop, fds_before);
}

Test(resolve, destroy_before_the_user_resolver_answers_drops_its_answer)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    resolver_ctx r = {.loop = loop, .addrs = {"127.0.0.1"}, .count = 1};
    eddy_connect_options o = {
        .port = 80, .host = "slow", .lookup = resolve_later, .lookup_ctx = &r};
    trace t = {0};
    eddy_socket *c = eddy_connect(loop, &o, NULL, NULL);
    trace_socket(c, &t);
    eddy_socket_destroy(c);
    cr_assert(loop_ends_by_itself(loop, 5000)); /* the resolver's timer answers meanwhile */
    cr_assert_eq(r.done_rc, 0);
    cr_assert_str_eq(t.log, "close(false)");
    assert_all_released(loop, fds_before);
}

Test(resolve, the_family_option_is_given_to_the_user_resolver)
{
    eddy_loop *loop = eddy_loop_new();
    resolver_ctx r = {.err = EDDY_ENOTFOUND};
    eddy_connect_options o = {
        .port = 80, .host = "x", .family = 6, .lookup = resolve_now, .lookup_ctx = &r};
    eddy_connect(loop, &o, NULL, NULL);
    eddy_loop_on_uncaught_error(loop, count_listener, &(int){0});
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(r.family, 6);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* ---- happy eyeballs ---- */

Test(resolve, happy_eyeballs_moves_on_when_the_first_address_refuses)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, "127.0.0.1", 0); /* nothing on [::1]:port */
    resolver_ctx r = {.addrs = {"::1", "127.0.0.1"}, .count = 2};
    eddy_connect_options o = {
        .port = server_port(srv), .host = "dual", .lookup = resolve_now, .lookup_ctx = &r};
    trace t = {0};
    eddy_socket *c = eddy_connect(loop, &o, NULL, NULL);
    trace_socket(c, &t);
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(t.log, "lookup(::1/6,dual) lookup(127.0.0.1/4,dual) connect close(false)");
    cr_assert_str_eq(t.remote.address, "127.0.0.1");
    assert_all_released(loop, fds_before);
}

/* A listener whose accept queue is full: the kernel drops further SYNs, so a connect to
 * it neither succeeds nor fails (until TCP gives up, minutes later). */
static int blackhole_listener(const char *ip, int *port, int *filler)
{
    int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
    int l = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
    eddy__sockaddr sa;
    socklen_t len;
    cr_assert_eq(eddy__sockaddr_from_host(&sa, &len, ip, *port, false, false), 0);
    if (bind(l, &sa.sa, len) < 0 || listen(l, 0) < 0) {
        close(l);
        return -1;
    }
    len = sizeof sa;
    getsockname(l, &sa.sa, &len);
    *port = ntohs(fam == AF_INET6 ? sa.in6.sin6_port : sa.in4.sin_port);
    *filler = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    connect(*filler, &sa.sa, len);
    struct pollfd p = {.fd = *filler, .events = POLLOUT};
    poll(&p, 1, 2000); /* the one connection the queue holds */
    return l;
}

Test(resolve, happy_eyeballs_tries_the_next_address_when_the_first_never_answers)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    int fds_before = open_fd_count();
    int port = 0, filler = -1;
    int hole = blackhole_listener("127.0.0.1", &port, &filler);
    cr_assert_geq(hole, 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, "::1", port); /* same port, the other family */
    resolver_ctx r = {.addrs = {"127.0.0.1", "::1"}, .count = 2};
    eddy_connect_options o = {.port = port,
                              .host = "dual",
                              .lookup = resolve_now,
                              .lookup_ctx = &r,
                              .auto_select_family_attempt_timeout_ms = 100};
    trace t = {0};
    uint64_t t0 = mono_ns();
    eddy_socket *c = eddy_connect(loop, &o, NULL, NULL);
    trace_socket(c, &t);
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(t.log, "lookup(127.0.0.1/4,dual) lookup(::1/6,dual) connect close(false)");
    cr_assert_str_eq(t.remote.address, "::1");
    uint64_t ms = (t.connected_at_ns - t0) / 1000000u;
    cr_assert_geq(ms, 100, "the second address was tried after %llu ms, before the timeout",
                  (unsigned long long)ms);
    cr_assert_lt(ms, 2000);
    close(filler);
    close(hole);
    assert_all_released(loop, fds_before);
}

Test(resolve, happy_eyeballs_default_timeout_is_250_ms)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    int fds_before = open_fd_count();
    int port = 0, filler = -1;
    int hole = blackhole_listener("127.0.0.1", &port, &filler);
    cr_assert_geq(hole, 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_server *srv = server_on(loop, "::1", port);
    resolver_ctx r = {.addrs = {"127.0.0.1", "::1"}, .count = 2};
    eddy_connect_options o = {
        .port = port, .host = "dual", .lookup = resolve_now, .lookup_ctx = &r};
    trace t = {0};
    uint64_t t0 = mono_ns();
    eddy_socket *c = eddy_connect(loop, &o, NULL, NULL);
    trace_socket(c, &t);
    eddy_on(eddy_emitter_of(c), "close", close_server_after, srv);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert(t.connected, "%s", t.log);
    uint64_t ms = (t.connected_at_ns - t0) / 1000000u;
    cr_assert_geq(ms, 250);
    close(filler);
    close(hole);
    assert_all_released(loop, fds_before);
}

Test(resolve, happy_eyeballs_when_all_fail_reports_the_last_error)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    int port = unused_tcp_port();
    resolver_ctx r = {.addrs = {"::1", "127.0.0.1"}, .count = 2};
    eddy_connect_options o = {
        .port = port, .host = "dual", .lookup = resolve_now, .lookup_ctx = &r};
    trace t = {0};
    trace_socket(eddy_connect(loop, &o, NULL, NULL), &t);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(t.log, "lookup(::1/6,dual) lookup(127.0.0.1/4,dual) "
                            "error(ECONNREFUSED,connect) close(true)");
    cr_assert_str_eq(t.error_address, "127.0.0.1");
    cr_assert_eq(t.error_port, port);
    assert_all_released(loop, fds_before);
}

Test(resolve, without_auto_select_family_only_the_first_address_is_tried)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    int port = unused_tcp_port();
    resolver_ctx r = {.addrs = {"127.0.0.1", "::1"}, .count = 2};
    eddy_connect_options o = {.port = port,
                              .host = "dual",
                              .lookup = resolve_now,
                              .lookup_ctx = &r,
                              .no_auto_select_family = true};
    trace t = {0};
    trace_socket(eddy_connect(loop, &o, NULL, NULL), &t);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(t.log, "lookup(127.0.0.1/4,dual) error(ECONNREFUSED,connect) close(true)");
    assert_all_released(loop, fds_before);
}

Test(resolve, attempts_alternate_families_without_duplicates)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    int port = unused_tcp_port();
    /* Node: 'lookup' for each, in the resolver's order (duplicates too); the attempts are
     * 127.0.0.2, ::1, 127.0.0.1, the last failure being 127.0.0.1's. */
    resolver_ctx r = {.addrs = {"127.0.0.2", "127.0.0.1", "::1", "127.0.0.2"}, .count = 4};
    eddy_connect_options o = {
        .port = port, .host = "many", .lookup = resolve_now, .lookup_ctx = &r};
    trace t = {0};
    trace_socket(eddy_connect(loop, &o, NULL, NULL), &t);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(t.lookups, 4);
    cr_assert_str_eq(t.error_address, "127.0.0.1");
    assert_all_released(loop, fds_before);
}

/* ---- servers ---- */

typedef struct {
    int listening, errors, closes;
    int code;
    char syscall[16], hostname[64];
    eddy_address addr;
} server_trace;

static void srv_listening(const eddy_event *ev, void *ctx)
{
    server_trace *t = ctx;
    t->listening++;
    eddy_server_address(ev->target, &t->addr);
    eddy_server_close(ev->target, NULL, NULL);
}

static void srv_error(const eddy_event *ev, void *ctx)
{
    server_trace *t = ctx;
    t->errors++;
    t->code = ev->u.error.code;
    snprintf(t->syscall, sizeof t->syscall, "%s", ev->u.error.syscall);
    snprintf(t->hostname, sizeof t->hostname, "%s",
             ev->u.error.hostname ? ev->u.error.hostname : "");
    eddy_server_close(ev->target, NULL, NULL);
}

static void srv_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((server_trace *)ctx)->closes++;
}

static eddy_server *traced_server(eddy_loop *loop, server_trace *t)
{
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(s), "listening", srv_listening, t);
    eddy_on(eddy_emitter_of(s), "error", srv_error, t);
    eddy_on(eddy_emitter_of(s), "close", srv_close, t);
    return s;
}

Test(resolve, listen_on_a_name_listens_on_its_first_address)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    server_trace t = {0};
    eddy_server *s = traced_server(loop, &t);
    cr_assert_eq(eddy_server_listen(s, 0, "localhost", NULL, NULL), 0);
    cr_assert_eq(eddy_server_listen(s, 0, "localhost", NULL, NULL), -EINVAL, "while looking up");
    cr_assert(loop_ends_by_itself(loop, 5000));
    char want[256];
    expected_addresses("localhost", 0, false, want, sizeof want);
    *strchrnul(want, '/') = '\0';
    cr_assert_eq(t.listening, 1);
    cr_assert_str_eq(t.addr.address, want);
    cr_assert_gt(t.addr.port, 0);
    cr_assert_eq(t.closes, 1);
    assert_all_released(loop, fds_before);
}

Test(resolve, listen_on_a_name_that_does_not_resolve_is_error_enotfound)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    server_trace t = {0};
    eddy_server *s = traced_server(loop, &t);
    cr_assert_eq(eddy_server_listen(s, 0, "x.invalid", NULL, NULL), 0);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_eq(t.listening, 0);
    cr_assert_eq(t.errors, 1);
    cr_assert_eq(t.code, EDDY_ENOTFOUND);
    cr_assert_str_eq(t.syscall, "getaddrinfo");
    cr_assert_str_eq(t.hostname, "x.invalid");
    cr_assert_eq(t.closes, 1);
    assert_all_released(loop, fds_before);
}

Test(resolve, close_during_a_listen_lookup_cancels_it)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    server_trace t = {0};
    eddy_server *s = traced_server(loop, &t);
    cr_assert_eq(eddy_server_listen(s, 0, "localhost", NULL, NULL), 0);
    eddy_server_close(s, NULL, NULL);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(t.listening, 0);
    cr_assert_eq(t.errors, 0);
    cr_assert_eq(t.closes, 1);
    assert_all_released(loop, fds_before);
}

typedef struct {
    eddy_address remote, local;
    eddy_server *srv;
} accepted;

static void record_accepted(const eddy_event *ev, void *ctx)
{
    accepted *a = ctx;
    eddy_socket_remote_address(ev->u.socket, &a->remote);
    eddy_socket_address(ev->u.socket, &a->local);
    eddy_socket_end(ev->u.socket, NULL, 0);
    eddy_server_close(a->srv, NULL, NULL);
}

Test(resolve, ipv4_clients_of_a_dual_stack_server_are_reported_as_node_does)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6");
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    accepted a = {0};
    a.srv = eddy_create_server(loop, NULL, record_accepted, &a);
    cr_assert_eq(eddy_server_listen(a.srv, 0, "::", NULL, NULL), 0);
    while (server_port(a.srv) < 0)
        eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    trace t = {0};
    trace_socket(eddy_create_connection(loop, server_port(a.srv), "127.0.0.1", NULL, NULL), &t);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(a.remote.address, "::ffff:127.0.0.1");
    cr_assert_str_eq(a.remote.family, "IPv6");
    cr_assert_str_eq(a.local.address, "::ffff:127.0.0.1");
    cr_assert_str_eq(t.remote.address, "127.0.0.1");
    cr_assert_str_eq(t.remote.family, "IPv4");
    assert_all_released(loop, fds_before);
}

Test(resolve, ipv6_only_servers_refuse_ipv4_clients)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6");
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server_options so = {.ipv6_only = true};
    eddy_server *srv = eddy_create_server(loop, &so, end_connection, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "::", NULL, NULL), 0);
    while (server_port(srv) < 0)
        eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    trace t4 = {0}, t6 = {0};
    trace_socket(eddy_create_connection(loop, server_port(srv), "127.0.0.1", NULL, NULL), &t4);
    eddy_socket *c6 = eddy_create_connection(loop, server_port(srv), "::1", NULL, NULL);
    trace_socket(c6, &t6);
    eddy_on(eddy_emitter_of(c6), "close", close_server_after, srv);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(t4.log, "error(ECONNREFUSED,connect) close(true)");
    cr_assert_str_eq(t6.log, "connect close(false)");
    assert_all_released(loop, fds_before);
}

/* A link-local IPv6 address of this machine with its zone ("fe80::...%eth0"). */
static bool link_local_address(char *out, size_t cap)
{
    struct ifaddrs *list, *i;
    if (getifaddrs(&list) < 0)
        return false;
    bool found = false;
    for (i = list; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6)
            continue;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)i->ifa_addr;
        if (!IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr))
            continue;
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
        snprintf(out, cap, "%s%%%s", buf, i->ifa_name);
        found = true;
    }
    freeifaddrs(list);
    return found;
}

Test(resolve, link_local_addresses_with_a_zone_id_listen_and_connect)
{
    char ll[128];
    if (!link_local_address(ll, sizeof ll))
        cr_skip_test("no link-local IPv6 address here");
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    accepted a = {0};
    a.srv = eddy_create_server(loop, NULL, record_accepted, &a);
    cr_assert_eq(eddy_server_listen(a.srv, 0, ll, NULL, NULL), 0);
    for (int i = 0; i < 100 && server_port(a.srv) < 0; i++)
        eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    eddy_address sa;
    cr_assert_eq(eddy_server_address(a.srv, &sa), 0, "could not listen on %s", ll);
    cr_assert_str_eq(sa.address, ll, "Node reports the zone too");
    trace t = {0};
    trace_socket(eddy_create_connection(loop, sa.port, ll, NULL, NULL), &t);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert(t.connected, "%s", t.log);
    cr_assert_str_eq(t.remote.address, ll);
    cr_assert_str_eq(a.remote.address, ll);
    assert_all_released(loop, fds_before);
}

/* A zone id is the interface's number or its name, as Node takes "fe80::1%2" and
 * "fe80::1%lo"; an unknown name is zone 0. */
Test(address, a_zone_id_is_a_number_or_an_interface_name)
{
    eddy__sockaddr sa;
    socklen_t len;
    cr_assert_eq(eddy__sockaddr_from_host(&sa, &len, "fe80::1%2", 80, false, false), 0);
    cr_assert_eq(len, sizeof sa.in6);
    cr_assert_eq(sa.in6.sin6_scope_id, 2);
    cr_assert_eq(ntohs(sa.in6.sin6_port), 80);
    cr_assert_eq(eddy__sockaddr_from_host(&sa, &len, "fe80::1%4294967295", 0, false, false), 0);
    cr_assert_eq(sa.in6.sin6_scope_id, 4294967295u);
    cr_assert_eq(eddy__sockaddr_from_host(&sa, &len, "fe80::1%99999999999", 0, false, false), 0);
    cr_assert_eq(sa.in6.sin6_scope_id, 4294967295u, "too big: saturated, never wrapped");
    unsigned lo = if_nametoindex("lo");
    cr_assert_neq(lo, 0, "this test needs a loopback interface named lo");
    cr_assert_eq(eddy__sockaddr_from_host(&sa, &len, "fe80::1%lo", 0, false, false), 0);
    cr_assert_eq(sa.in6.sin6_scope_id, lo);
    cr_assert_eq(eddy__sockaddr_from_host(&sa, &len, "fe80::1%1lo", 0, false, false), 0);
    cr_assert_eq(sa.in6.sin6_scope_id, 0, "not a number, and no interface has that name");
}
