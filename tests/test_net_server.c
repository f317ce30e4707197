/* net.Server: listening (where, when, and its failures), closing, the connection count and
 * limit, ref/unref, and accepting when the process is out of descriptors. Clients run in
 * this process on the same loop, on the loopback, and every port is ephemeral. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"

static void mark(const eddy_event *ev, void *ctx)
{
    (void)ev;
    *(bool *)ctx = true;
}

/* ---- listening ------------------------------------------------------------------ */

/* node: srv.listen(0, '127.0.0.1', cb): cb runs after listen() returned, from the loop;
 * srv.address() is {address: '127.0.0.1', family: 'IPv4', port: <ephemeral>}. */
struct lst {
    eddy_server *server;
    int listening;
    eddy_address addr;
    int addr_rc;
};

static void lst_listening(const eddy_event *ev, void *ctx)
{
    struct lst *l = ctx;
    cr_assert_eq(ev->target, l->server);
    l->listening++;
    l->addr_rc = eddy_server_address(l->server, &l->addr);
    eddy_server_close(l->server, NULL, NULL);
}

Test(server, listening_is_emitted_from_the_loop_after_listen_returned)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    struct lst l = {0};
    l.server = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_not_null(l.server);
    cr_assert_eq(eddy_server_listen(l.server, 0, "127.0.0.1", lst_listening, &l), 0);
    cr_assert_eq(l.listening, 0, "'listening' was emitted inside eddy_server_listen");
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_eq(l.listening, 1);
    assert_all_released(loop, fds_before);
}

Test(server, port_zero_listens_on_an_ephemeral_port_of_the_given_host)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    struct lst l = {0};
    l.server = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(l.server, 0, "127.0.0.1", lst_listening, &l), 0);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_eq(l.addr_rc, 0);
    cr_assert_str_eq(l.addr.family, "IPv4");
    cr_assert_str_eq(l.addr.address, "127.0.0.1");
    cr_assert_gt(l.addr.port, 0);
    cr_assert_lt(l.addr.port, 65536);
    assert_all_released(loop, fds_before);
}

Test(server, listens_on_ipv6_loopback)
{
    if (!ipv6_loopback_available())
        cr_skip_test("IPv6 loopback is not available");
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    struct lst l = {0};
    l.server = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(l.server, 0, "::1", lst_listening, &l), 0);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_eq(l.addr_rc, 0);
    cr_assert_str_eq(l.addr.family, "IPv6");
    cr_assert_str_eq(l.addr.address, "::1");
    cr_assert_gt(l.addr.port, 0);
    assert_all_released(loop, fds_before);
}

Test(server, address_is_enotconn_unless_listening_and_einval_for_null)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_not_null(s);
    eddy_address a;
    cr_assert_eq(eddy_server_address(s, &a), -ENOTCONN);
    cr_assert_eq(eddy_server_address(NULL, &a), -EINVAL);
    cr_assert_eq(eddy_server_address(s, NULL), -EINVAL);
    cr_assert_eq(eddy_server_connections(s), 0);
    /* listening, then closed from 'listening', it is released with the loop */
    eddy_on(eddy_emitter_of(s), "listening", close_server_listener, s);
    cr_assert_eq(eddy_server_listen(s, 0, "127.0.0.1", NULL, NULL), 0);
    cr_assert(loop_ends_by_itself(loop, 10000));
    assert_all_released(loop, fds_before);
}

/* node (t_close_never.js): net.createServer().close(cb); log('close-returned')
 * observed: close-returned close cb(ERR_SERVER_NOT_RUNNING)
 * Closing a server that never listened reports "not running" (eddy: -ENOTCONN) and still
 * emits 'close' from the loop: that is how such a server is released. */
Test(server, closing_a_server_that_never_listened_returns_enotconn_and_still_emits_close)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_not_null(s);
    net_log log = {0};
    net_record(&log, s, "server", "listening close error");
    cr_assert_eq(eddy_server_close(s, NULL, NULL), -ENOTCONN);
    net_log_add(&log, "close-returned");
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(log.text, "close-returned server:close");
    assert_all_released(loop, fds_before);
}

Test(server, create_server_with_a_null_loop_returns_null)
{
    cr_assert_null(eddy_create_server(NULL, NULL, NULL, NULL));
}

/* node: srv.listen(0) (no host) -> address {address: '::', family: 'IPv6'} when IPv6 is
 * available; a client to 127.0.0.1 reaches it and the server sees it as
 * {remoteAddress: '::ffff:127.0.0.1', remoteFamily: 'IPv6'} (dual stack). */
struct anyh {
    eddy_loop *loop;
    eddy_server *server;
    eddy_address server_addr, conn_remote;
    int rc[2];
    net_log clog;
};

static void anyh_connection(const eddy_event *ev, void *ctx)
{
    struct anyh *a = ctx;
    a->rc[1] = eddy_socket_remote_address(ev->u.socket, &a->conn_remote);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", close_server_listener, a->server);
    eddy_socket_end(ev->u.socket, NULL, 0);
}

static void anyh_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct anyh *a = ctx;
    a->rc[0] = eddy_server_address(a->server, &a->server_addr);
    eddy_socket *c = eddy_create_connection(a->loop, a->server_addr.port, "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    net_record(&a->clog, c, "client", "connect end close error");
}

Test(server, null_host_listens_on_the_any_address_and_accepts_ipv4_clients)
{
    int fds_before = open_fd_count();
    struct anyh a = {.loop = eddy_loop_new()};
    a.server = eddy_create_server(a.loop, NULL, anyh_connection, &a);
    cr_assert_eq(eddy_server_listen(a.server, 0, NULL, anyh_listening, &a), 0);
    cr_assert(loop_ends_by_itself(a.loop, 10000));
    cr_assert_eq(a.rc[0], 0);
    cr_assert_eq(a.rc[1], 0);
    cr_assert_str_eq(a.clog.text, "client:connect client:end client:close(false)");
    if (ipv6_loopback_available()) {
        cr_assert_str_eq(a.server_addr.family, "IPv6");
        cr_assert_str_eq(a.server_addr.address, "::");
        cr_assert_str_eq(a.conn_remote.family, "IPv6");
        cr_assert_str_eq(a.conn_remote.address, "::ffff:127.0.0.1");
    } else {
        cr_assert_str_eq(a.server_addr.family, "IPv4");
        cr_assert_str_eq(a.server_addr.address, "0.0.0.0");
        cr_assert_str_eq(a.conn_remote.address, "127.0.0.1");
    }
    assert_all_released(a.loop, fds_before);
}

/* ---- listen failures -------------------------------------------------------------- */

/* node: a second server on a port in use: listen() returns, then 'error' {code:
 * 'EADDRINUSE', syscall: 'listen'}; never 'listening'. */
struct inuse {
    eddy_loop *loop;
    eddy_server *holder, *second;
    int listen_rc;
    bool error_inside_listen, in_listen;
    bool second_listening, listening_before_error;
    net_log log;
};

static void inuse_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct inuse *u = ctx;
    if (u->in_listen)
        u->error_inside_listen = true;
    u->listening_before_error = u->second_listening;
    cr_assert_eq(eddy_server_close(u->holder, NULL, NULL), 0);
    /* and it can listen again (elsewhere), then close: that releases it */
    eddy_on(eddy_emitter_of(u->second), "listening", close_server_listener, u->second);
    cr_assert_eq(eddy_server_listen(u->second, 0, "127.0.0.1", NULL, NULL), 0);
}

static void inuse_holder_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct inuse *u = ctx;
    u->in_listen = true;
    u->listen_rc = eddy_server_listen(u->second, server_port(u->holder), "127.0.0.1", mark,
                                      &u->second_listening);
    u->in_listen = false;
}

Test(server, eaddrinuse_arrives_as_a_later_error_event_and_never_listening)
{
    int fds_before = open_fd_count();
    struct inuse u = {.loop = eddy_loop_new()};
    u.holder = eddy_create_server(u.loop, NULL, NULL, NULL);
    u.second = eddy_create_server(u.loop, NULL, NULL, NULL);
    net_record(&u.log, u.second, "server", "listening close error");
    eddy_on(eddy_emitter_of(u.second), "error", inuse_error, &u);
    cr_assert_eq(eddy_server_listen(u.holder, 0, "127.0.0.1", inuse_holder_listening, &u), 0);
    cr_assert(loop_ends_by_itself(u.loop, 10000));
    cr_assert_eq(u.listen_rc, 0);
    cr_assert(!u.error_inside_listen, "'error' was emitted inside eddy_server_listen");
    cr_assert(!u.listening_before_error);
    /* the 'listening' is the second listen's, on another port */
    cr_assert_str_eq(u.log.text, "server:error(EADDRINUSE,listen) server:listening server:close");
    assert_all_released(u.loop, fds_before);
}

/* node: srv.listen(0); srv.listen(0) -> ERR_SERVER_ALREADY_LISTEN thrown at once. */
static void twice_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    int *rcs = ctx;
    eddy_server *s = ev->target;
    rcs[1] = eddy_server_listen(s, 0, "127.0.0.1", NULL, NULL);
    eddy_server_close(s, NULL, NULL);
}

Test(server, listening_twice_returns_einval_at_once)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    int rcs[2] = {1, 1};
    bool listening = false;
    eddy_on(eddy_emitter_of(s), "listening", mark, &listening);
    cr_assert_eq(eddy_server_listen(s, 0, "127.0.0.1", twice_listening, rcs), 0);
    rcs[0] = eddy_server_listen(s, 0, "127.0.0.1", NULL, NULL); /* before 'listening' */
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_eq(rcs[0], -EINVAL);
    cr_assert_eq(rcs[1], -EINVAL); /* while listening */
    cr_assert(listening);
    assert_all_released(loop, fds_before);
}

Test(server, bad_ports_and_hosts_return_einval)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(s, -1, "127.0.0.1", NULL, NULL), -EINVAL);
    cr_assert_eq(eddy_server_listen(s, 65536, "127.0.0.1", NULL, NULL), -EINVAL);
    /* A host that is not an IP literal ("127.0.0.256") is a name, looked up: its failure is
     * an 'error' (test_resolve.c). */
    cr_assert_eq(eddy_server_listen(NULL, 0, "127.0.0.1", NULL, NULL), -EINVAL);
    /* none of these left it listening */
    eddy_address a;
    cr_assert_eq(eddy_server_address(s, &a), -ENOTCONN);
    /* and it still can */
    bool listening = false;
    cr_assert_eq(eddy_server_listen(s, 0, "127.0.0.1", mark, &listening), 0);
    eddy_on(eddy_emitter_of(s), "listening", close_server_listener, s);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert(listening);
    assert_all_released(loop, fds_before);
}

/* ---- closing ----------------------------------------------------------------------- */

/* node (u_close_twice.js): in 'listening', srv.close(cb1); srv.close(cb2)
 * observed: close-returned close cb1(undefined) cb2(ERR_SERVER_NOT_RUNNING) close
 * The second close reports "not running" (eddy: -ENOTCONN). Node then emits 'close' a
 * second time; in C an object is released after its 'close', so eddy emits it once. */
struct twice_close {
    int rc_after;
    int closes;
};

static void tc_listening(const eddy_event *ev, void *ctx)
{
    struct twice_close *t = ctx;
    cr_assert_eq(eddy_server_close(ev->target, count_listener, &t->closes), 0);
    t->rc_after = eddy_server_close(ev->target, NULL, NULL);
}

Test(server, closing_a_closed_server_returns_enotconn)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    struct twice_close t = {.rc_after = 1};
    cr_assert_eq(eddy_server_listen(s, 0, "127.0.0.1", tc_listening, &t), 0);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_eq(t.rc_after, -ENOTCONN);
    cr_assert_eq(t.closes, 1);
    assert_all_released(loop, fds_before);
}

/* node (v_eaddrinuse_close.js): on 'error' EADDRINUSE, srv.close(cb)
 * observed: error(EADDRINUSE,listen) close cb(ERR_SERVER_NOT_RUNNING) */
struct failed_close {
    eddy_server *holder, *srv;
    int rc;
    net_log log;
};

static void fc_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct failed_close *f = ctx;
    f->rc = eddy_server_close(f->srv, NULL, NULL);
    net_log_add(&f->log, "close-returned(%s)", eddy_err_name(f->rc));
    eddy_server_close(f->holder, NULL, NULL);
}

static void fc_holder_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct failed_close *f = ctx;
    cr_assert_eq(eddy_server_listen(f->srv, server_port(f->holder), "127.0.0.1", NULL, NULL), 0);
}

Test(server, closing_a_server_whose_listen_failed_returns_enotconn_and_emits_close)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    struct failed_close f = {0};
    f.holder = eddy_create_server(loop, NULL, NULL, NULL);
    f.srv = eddy_create_server(loop, NULL, NULL, NULL);
    net_record(&f.log, f.srv, "server", "listening close error");
    eddy_on(eddy_emitter_of(f.srv), "error", fc_error, &f);
    cr_assert_eq(eddy_server_listen(f.holder, 0, "127.0.0.1", fc_holder_listening, &f), 0);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_str_eq(f.log.text,
                     "server:error(EADDRINUSE,listen) close-returned(ENOTCONN) server:close");
    assert_all_released(loop, fds_before);
}

/* node: srv.on('close', () => second time? srv.listen(0, ...)): a closed server listens
 * again; the first listen's callback was a once listener and does not run again. */
struct again {
    int first_cb, listenings, closes;
};

static void again_first_cb(const eddy_event *ev, void *ctx)
{
    struct again *a = ctx;
    a->first_cb++;
    eddy_server_close(ev->target, NULL, NULL);
}

static void again_listening(const eddy_event *ev, void *ctx)
{
    struct again *a = ctx;
    if (++a->listenings == 2)
        eddy_server_close(ev->target, NULL, NULL);
}

static void again_close(const eddy_event *ev, void *ctx)
{
    struct again *a = ctx;
    if (++a->closes == 1)
        cr_assert_eq(eddy_server_listen(ev->target, 0, "127.0.0.1", NULL, NULL), 0);
}

Test(server, a_closed_server_can_listen_again)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    struct again a = {0};
    eddy_on(eddy_emitter_of(s), "listening", again_listening, &a);
    eddy_on(eddy_emitter_of(s), "close", again_close, &a);
    cr_assert_eq(eddy_server_listen(s, 0, "127.0.0.1", again_first_cb, &a), 0);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_eq(a.first_cb, 1);
    cr_assert_eq(a.listenings, 2);
    cr_assert_eq(a.closes, 2);
    assert_all_released(loop, fds_before);
}

/* node: srv.close() in 'listening', then a client connects to that port:
 * client error(ECONNREFUSED,connect) close(true); server close. */
struct stop {
    eddy_loop *loop;
    net_log log;
};

static void stop_listening(const eddy_event *ev, void *ctx)
{
    struct stop *st = ctx;
    eddy_server *s = ev->target;
    int port = server_port(s);
    cr_assert_eq(eddy_server_close(s, NULL, NULL), 0);
    eddy_socket *c = eddy_create_connection(st->loop, port, "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    net_record(&st->log, c, "client", "connect data end close error");
}

Test(server, close_stops_accepting_at_once)
{
    int fds_before = open_fd_count();
    struct stop st = {.loop = eddy_loop_new()};
    eddy_server *s = eddy_create_server(st.loop, NULL, NULL, NULL);
    net_record(&st.log, s, "server", "connection close error");
    cr_assert_eq(eddy_server_listen(s, 0, "127.0.0.1", stop_listening, &st), 0);
    cr_assert(loop_ends_by_itself(st.loop, 10000));
    /* the server's 'close' and the client's failure come from unrelated sockets: either
     * order is right */
    static const char *const ok[] = {
        "server:close client:error(ECONNREFUSED,connect) client:close(true)",
        "client:error(ECONNREFUSED,connect) server:close client:close(true)",
        "client:error(ECONNREFUSED,connect) client:close(true) server:close", NULL};
    cr_assert(str_is_one_of(st.log.text, ok), "log: %s", st.log.text);
    assert_all_released(st.loop, fds_before);
}

/* node: two connections; srv.close() after the second arrives; conn1 ends at 20 ms, conn2
 * at 60 ms: server 'close' only after both (Node emits it just before the last
 * connection's own 'close'; eddy promises after it, see test_net_events.c). */
struct two {
    eddy_loop *loop;
    eddy_server *server;
    eddy_socket *conns[2];
    int n;
    size_t count_at_second;
    net_log log;
};

static void two_end(void *arg)
{
    eddy_socket_end(arg, NULL, 0);
}

static void two_connection(const eddy_event *ev, void *ctx)
{
    struct two *t = ctx;
    eddy_socket *c = ev->u.socket;
    t->conns[t->n++] = c;
    net_record(&t->log, c, t->n == 1 ? "conn1" : "conn2", "end close error");
    cr_assert_not_null(eddy_set_timeout(t->loop, t->n == 1 ? 20 : 60, two_end, c));
    if (t->n == 2) {
        t->count_at_second = eddy_server_connections(t->server);
        cr_assert_eq(eddy_server_close(t->server, NULL, NULL), 0);
    }
}

static void two_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct two *t = ctx;
    int port = server_port(t->server);
    for (int i = 0; i < 2; i++) {
        eddy_socket *c = eddy_create_connection(t->loop, port, "127.0.0.1", NULL, NULL);
        cr_assert_not_null(c);
    }
}

Test(server, close_waits_for_every_accepted_connection_to_close)
{
    int fds_before = open_fd_count();
    struct two t = {.loop = eddy_loop_new()};
    t.server = eddy_create_server(t.loop, NULL, two_connection, &t);
    net_record(&t.log, t.server, "server", "close error");
    cr_assert_eq(eddy_server_listen(t.server, 0, "127.0.0.1", two_listening, &t), 0);
    cr_assert(loop_ends_by_itself(t.loop, 10000));
    cr_assert_eq(t.count_at_second, 2);
    cr_assert_str_eq(t.log.text, "conn1:end conn1:close(false) conn2:end conn2:close(false) "
                                 "server:close");
    assert_all_released(t.loop, fds_before);
}

/* ---- connection count and limit ------------------------------------------------------ */

struct count {
    eddy_loop *loop;
    eddy_server *server;
    size_t seen[3];
    size_t after_first_close;
    size_t in_server_close;
    int accepted, closed;
    eddy_socket *conns[3];
};

static void count_conn_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct count *c = ctx;
    if (++c->closed == 3)
        eddy_server_close(c->server, NULL, NULL);
}

static void count_read_after_first(void *arg)
{
    struct count *c = arg;
    c->after_first_close = eddy_server_connections(c->server);
    eddy_socket_end(c->conns[1], NULL, 0);
    eddy_socket_end(c->conns[2], NULL, 0);
}

static void count_first_closed(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct count *c = ctx;
    cr_assert_not_null(eddy_set_timeout(c->loop, 10, count_read_after_first, c));
}

static void count_connection(const eddy_event *ev, void *ctx)
{
    struct count *c = ctx;
    c->conns[c->accepted] = ev->u.socket;
    c->seen[c->accepted++] = eddy_server_connections(c->server);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", count_conn_close, c);
    if (c->accepted == 1)
        eddy_on(eddy_emitter_of(ev->u.socket), "close", count_first_closed, c);
    if (c->accepted == 3)
        eddy_socket_end(c->conns[0], NULL, 0);
}

static void count_server_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct count *c = ctx;
    c->in_server_close = eddy_server_connections(c->server);
}

static void count_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct count *c = ctx;
    for (int i = 0; i < 3; i++)
        cr_assert_not_null(
            eddy_create_connection(c->loop, server_port(c->server), "127.0.0.1", NULL, NULL));
}

Test(server, connections_counts_the_accepted_sockets_that_are_open)
{
    int fds_before = open_fd_count();
    struct count c = {.loop = eddy_loop_new()};
    c.server = eddy_create_server(c.loop, NULL, count_connection, &c);
    eddy_on(eddy_emitter_of(c.server), "close", count_server_close, &c);
    cr_assert_eq(eddy_server_connections(c.server), 0);
    cr_assert_eq(eddy_server_listen(c.server, 0, "127.0.0.1", count_listening, &c), 0);
    cr_assert(loop_ends_by_itself(c.loop, 10000));
    cr_assert_eq(c.seen[0], 1);
    cr_assert_eq(c.seen[1], 2);
    cr_assert_eq(c.seen[2], 3);
    cr_assert_eq(c.after_first_close, 2);
    cr_assert_eq(c.in_server_close, 0);
    assert_all_released(c.loop, fds_before);
}

/* node (h_maxconn.js): srv.maxConnections = 1; a second client while the first is open:
 * b: connect end close(false) -- never data; the server emits 'connection' once and its
 * count stays 1. (A reset instead of the FIN is fine too.) */
struct maxc {
    net_pair *p;
    eddy_socket *b;
    net_log blog;
    size_t count_when_b_closed;
};

static void maxc_b_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct maxc *m = ctx;
    m->count_when_b_closed = eddy_server_connections(m->p->server);
    eddy_socket_destroy(m->p->client);
}

static void maxc_a_data(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct maxc *m = ctx;
    if (m->b)
        return;
    m->b = eddy_create_connection(m->p->loop, m->p->port, "127.0.0.1", NULL, NULL);
    cr_assert_not_null(m->b);
    net_record(&m->blog, m->b, "b", "connect data end close error");
    eddy_on(eddy_emitter_of(m->b), "close", maxc_b_close, m);
}

static void maxc_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "data", maxc_a_data, p->user);
}

static void maxc_conn_ready(net_pair *p, eddy_socket *conn)
{
    (void)p;
    eddy_socket_write(conn, "hello", 5, NULL, NULL);
}

Test(server, connections_over_the_maximum_are_closed_at_once)
{
    struct maxc m = {0};
    net_pair p = {.client_ready = maxc_client_ready,
                  .conn_ready = maxc_conn_ready,
                  .user = &m,
                  .conn_events = "end close error"};
    m.p = &p;
    net_pair_start(&p, NULL);
    eddy_server_set_max_connections(p.server, 1);
    assert_pair_ends(&p, 10000);
    static const char *const ok[] = {"b:connect b:end b:close(false)",
                                     "b:connect b:error(ECONNRESET,read) b:close(true)", NULL};
    cr_assert(str_is_one_of(m.blog.text, ok), "b: %s", m.blog.text);
    cr_assert_eq(m.count_when_b_closed, 1);
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:end "
                                  "conn:close(false) server:close");
    cr_assert_str_eq(p.clog.text, "client:connect client:data(hello) client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- ref / unref ------------------------------------------------------------------- */

Test(server, a_listening_server_keeps_the_loop_alive)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(s, 0, "127.0.0.1", NULL, NULL), 0);
    cr_assert(!run_loop_for(loop, 100), "the loop ended while a server was listening");
    bool closed = false;
    cr_assert_eq(eddy_server_close(s, mark, &closed), 0);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert(closed);
    assert_all_released(loop, fds_before);
}

Test(server, an_unreferenced_server_does_not_keep_the_loop_alive)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(s, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_server_unref(s);
    uint64_t t0 = mono_ns();
    cr_assert(loop_ends_by_itself(loop, 5000), "an unreferenced server kept the loop running");
    cr_assert_lt(mono_ns() - t0, 2000000000ull);
    eddy_server_ref(s);
    bool closed = false;
    cr_assert_eq(eddy_server_close(s, mark, &closed), 0);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert(closed);
    assert_all_released(loop, fds_before);
}

/* ---- out of descriptors ------------------------------------------------------------ */

/* libev's and libuv's trap: a connection waits in the backlog but accept(2) fails with
 * EMFILE. Level-triggered readiness reports the listening socket again at once, so a naive
 * loop spins at 100% CPU; one that stops watching it never accepts again. eddy must shed
 * the waiting connection (the client sees FIN or RST) without spinning, and accept the
 * next one once descriptors are free.
 * The test lowers RLIMIT_NOFILE (it runs in its own process), fills every remaining
 * descriptor with dup(), and has a plain socket connect. */
enum { MAX_FILLERS = 1024 };

struct emfile {
    eddy_loop *loop;
    eddy_server *server;
    int port;
    struct rlimit saved;
    int raw;
    int fillers[MAX_FILLERS];
    int nfill;
    bool filled_to_emfile;
    eddy_timer *poller;
    uint64_t t0_ns;
    double cpu0;
    double cpu_ms_used, wall_ms_used;
    bool shed;
    int connections;
    int connections_while_exhausted;
    eddy_socket *second;
    net_log log;
};

static void emfile_release_fds(struct emfile *e)
{
    for (int i = 0; i < e->nfill; i++)
        close(e->fillers[i]);
    e->nfill = 0;
    if (e->raw >= 0)
        close(e->raw);
    e->raw = -1;
    setrlimit(RLIMIT_NOFILE, &e->saved);
}

static void emfile_connection(const eddy_event *ev, void *ctx)
{
    struct emfile *e = ctx;
    e->connections++;
    if (e->nfill > 0)
        e->connections_while_exhausted++;
    eddy_socket_end(ev->u.socket, NULL, 0);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", close_server_listener, e->server);
}

static void emfile_recover(struct emfile *e)
{
    e->cpu_ms_used = cpu_ms() - e->cpu0;
    e->wall_ms_used = (double)(mono_ns() - e->t0_ns) / 1e6;
    eddy_clear_timer(e->poller);
    e->poller = NULL;
    emfile_release_fds(e);
    /* descriptors are free again: the next connection must be accepted */
    e->second = eddy_create_connection(e->loop, e->port, "127.0.0.1", NULL, NULL);
    cr_assert_not_null(e->second);
    net_record(&e->log, e->second, "second", "connect end close error");
}

static void emfile_poll(void *arg)
{
    struct emfile *e = arg;
    uint64_t waited_ms = (mono_ns() - e->t0_ns) / 1000000u;
    if (!e->shed) {
        char b;
        ssize_t n = recv(e->raw, &b, 1, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
            e->shed = true;
    }
    /* keep the descriptors exhausted for 300 ms (to see whether the loop spins), or give
     * up on the shedding after 3 s */
    if ((e->shed && waited_ms >= 300) || waited_ms >= 3000)
        emfile_recover(e);
}

static void emfile_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct emfile *e = ctx;
    e->port = server_port(e->server);
    getrlimit(RLIMIT_NOFILE, &e->saved);
    struct rlimit low = e->saved;
    low.rlim_cur = (rlim_t)open_fd_count() + 64;
    if (low.rlim_cur > e->saved.rlim_cur)
        low.rlim_cur = e->saved.rlim_cur;
    setrlimit(RLIMIT_NOFILE, &low);
    /* the timer exists before the descriptors run out: nothing of the test allocates one
     * while they are exhausted */
    e->poller = eddy_set_interval(e->loop, 10, emfile_poll, e);
    cr_assert_not_null(e->poller);

    e->raw = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    cr_assert_geq(e->raw, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)e->port);
    int rc = connect(e->raw, (struct sockaddr *)&a, sizeof a);
    cr_assert(rc == 0 || errno == EINPROGRESS);
    while (e->nfill < MAX_FILLERS) {
        int fd = dup(e->raw);
        if (fd < 0) {
            e->filled_to_emfile = errno == EMFILE;
            break;
        }
        e->fillers[e->nfill++] = fd;
    }
    e->t0_ns = mono_ns();
    e->cpu0 = cpu_ms();
}

Test(server, accept_out_of_descriptors_sheds_the_connection_without_spinning_then_recovers)
{
    int fds_before = open_fd_count();
    struct emfile e = {.loop = eddy_loop_new(), .raw = -1};
    e.server = eddy_create_server(e.loop, NULL, emfile_connection, &e);
    cr_assert_eq(eddy_server_listen(e.server, 0, "127.0.0.1", emfile_listening, &e), 0);
    bool ended = loop_ends_by_itself(e.loop, 20000);
    emfile_release_fds(&e); /* in case the loop was stopped early */
    cr_assert(e.filled_to_emfile, "could not exhaust the descriptors");
    cr_assert_lt(e.cpu_ms_used, e.wall_ms_used / 2,
                 "the loop spun: %.0f ms of CPU in %.0f ms while out of descriptors", e.cpu_ms_used,
                 e.wall_ms_used);
    cr_assert(e.shed, "the waiting connection was not shed while accept failed with EMFILE");
    cr_assert_eq(e.connections_while_exhausted, 0);
    cr_assert(ended, "the server did not accept again once descriptors were free");
    cr_assert_eq(e.connections, 1);
    cr_assert_str_eq(e.log.text, "second:connect second:end second:close(false)");
    assert_all_released(e.loop, fds_before);
}
