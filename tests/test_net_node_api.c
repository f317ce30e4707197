/* The parts of Node's net API added for issue 10, each against what node v20 does. The
 * orders were printed by node with the same scenario, e.g. (tests/README-style):
 *   client-ends  client: connect ready finish end close(false)
 *                server: end finish close(false)
 *   server-ends  client: connect ready data end finish close(false)
 *                server: finish end close(false)
 *   cork: writableLength 2 while corked, 0 after uncork; end(data, cb): cb after 'finish'
 *   resetAndDestroy: the server's socket gets ECONNRESET then close(true); ours close(false)
 *   error payloads: connect ECONNREFUSED 127.0.0.1 <port>; UNIX ENOENT <path> (no port);
 *                   listen EADDRINUSE 127.0.0.1 <port> */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"

static const char *const CLIENT_EVENTS = "connect ready data end finish close error";
static const char *const CONN_EVENTS = "data end finish close error";

/* ---- 'finish' and 'ready' ---- */

static void end_on_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_end(ev->target, NULL, 0);
}

static void client_ends(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", end_on_connect, NULL);
}

Test(node_api, a_client_end_gives_finish_then_the_peers_end_and_close)
{
    net_pair p = {
        .client_events = CLIENT_EVENTS, .conn_events = CONN_EVENTS, .client_ready = client_ends};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_str_eq(p.clog.text,
                     "client:connect client:ready client:finish client:end client:close(false)");
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:end conn:finish "
                                  "conn:close(false) server:close");
    assert_all_released(p.loop, p.fds_before);
}

static void conn_says_hi_and_ends(net_pair *p, eddy_socket *conn)
{
    (void)p;
    eddy_socket_end(conn, "hi", 2);
}

Test(node_api, a_server_end_gives_the_client_data_end_finish_close)
{
    net_pair p = {.client_events = CLIENT_EVENTS,
                  .conn_events = CONN_EVENTS,
                  .conn_ready = conn_says_hi_and_ends};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_str_eq(p.clog.text, "client:connect client:ready client:data(hi) client:end "
                                  "client:finish client:close(false)");
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:finish conn:end "
                                  "conn:close(false) server:close");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- cork, end with a callback ---- */

struct corked {
    size_t while_corked, after_uncork;
    int end_cb;
    bool finish_seen_before_cb;
    bool finished;
};

static void mark_finish(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct corked *)ctx)->finished = true;
}

static void on_end_cb(const eddy_event *ev, void *ctx)
{
    struct corked *c = ctx;
    cr_assert_str_eq(ev->name, "finish");
    c->end_cb++;
    c->finish_seen_before_cb = c->finished;
}

static void cork_on_connect(const eddy_event *ev, void *ctx)
{
    struct corked *c = ctx;
    eddy_socket *s = ev->target;
    eddy_on(eddy_emitter_of(s), "finish", mark_finish, c);
    cr_assert_eq(eddy_socket_cork(s), 0);
    cr_assert_eq(eddy_socket_cork(s), 0); /* nested */
    eddy_socket_write(s, "a", 1, NULL, NULL);
    eddy_socket_write(s, "b", 1, NULL, NULL);
    eddy_socket_uncork(s);
    c->while_corked = eddy_socket_writable_length(s);
    eddy_socket_uncork(s);
    c->after_uncork = eddy_socket_writable_length(s);
    cr_assert_eq(eddy_socket_end_cb(s, "c", 1, on_end_cb, c), 0);
}

static void cork_client(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", cork_on_connect, p->user);
}

Test(node_api, corked_writes_wait_for_the_last_uncork_and_end_cb_runs_on_finish)
{
    struct corked c = {0};
    net_pair p = {.client_events = CLIENT_EVENTS,
                  .conn_events = CONN_EVENTS,
                  .client_ready = cork_client,
                  .user = &c};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_eq(c.while_corked, 2, "Node: writableLength 2 while corked");
    cr_assert_eq(c.after_uncork, 0, "sent at the last uncork");
    cr_assert_eq(c.end_cb, 1);
    cr_assert(c.finish_seen_before_cb, "the callback is a 'finish' listener, after earlier ones");
    cr_assert(strstr(p.slog.text, "conn:data(abc)") != NULL, "%s", p.slog.text);
    assert_all_released(p.loop, p.fds_before);
}

/* ---- resetAndDestroy ---- */

static void reset_on_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_reset_and_destroy(ev->target);
}

static void conn_writes(net_pair *p, eddy_socket *conn)
{
    (void)p;
    eddy_socket_write(conn, "x", 1, NULL, NULL);
}

static void client_resets_on_data(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "data", reset_on_data, NULL);
}

Test(node_api, reset_and_destroy_sends_a_reset_the_peer_sees_econnreset)
{
    net_pair p = {.client_events = "close error",
                  .conn_events = "end close error",
                  .client_ready = client_resets_on_data,
                  .conn_ready = conn_writes};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_str_eq(p.clog.text, "client:close(false)");
    cr_assert_str_eq(p.slog.text, "server:listening server:connection "
                                  "conn:error(ECONNRESET,read) conn:close(true) server:close");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- 'drop' ---- */

struct dropped {
    eddy_loop *loop;
    eddy_server *server;
    eddy_socket *first, *second;
    int drops, second_port;
    char remote[108], local_family[8];
    int remote_port, local_port;
};

static void on_drop(const eddy_event *ev, void *ctx)
{
    struct dropped *d = ctx;
    d->drops++;
    cr_assert_not_null(ev->u.drop.remote);
    cr_assert_not_null(ev->u.drop.local);
    snprintf(d->remote, sizeof d->remote, "%s", ev->u.drop.remote->address);
    d->remote_port = ev->u.drop.remote->port;
    d->local_port = ev->u.drop.local->port;
    snprintf(d->local_family, sizeof d->local_family, "%s", ev->u.drop.local->family);
}

static void second_connected(const eddy_event *ev, void *ctx)
{
    struct dropped *d = ctx;
    eddy_address a;
    cr_assert_eq(eddy_socket_address(ev->target, &a), 0);
    d->second_port = a.port;
}

static void second_closed(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct dropped *d = ctx;
    eddy_socket_destroy(d->first);
    eddy_server_close(d->server, NULL, NULL);
}

static void first_connected(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct dropped *d = ctx;
    d->second =
        eddy_create_connection(d->loop, server_port(d->server), "127.0.0.1", second_connected, d);
    eddy_on(eddy_emitter_of(d->second), "close", second_closed, d);
}

static void drop_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct dropped *d = ctx;
    d->first =
        eddy_create_connection(d->loop, server_port(d->server), "127.0.0.1", first_connected, d);
}

Test(node_api, a_connection_over_max_connections_is_dropped_with_a_drop_event)
{
    int fds_before = open_fd_count();
    struct dropped d = {0};
    d.loop = eddy_loop_new();
    d.server = eddy_create_server(d.loop, NULL, NULL, NULL);
    eddy_server_set_max_connections(d.server, 1);
    eddy_on(eddy_emitter_of(d.server), "drop", on_drop, &d);
    cr_assert_eq(eddy_server_listen(d.server, 0, "127.0.0.1", drop_listening, &d), 0);
    cr_assert(loop_ends_by_itself(d.loop, 10000));
    cr_assert_eq(d.drops, 1);
    cr_assert_str_eq(d.remote, "127.0.0.1");
    cr_assert_eq(d.remote_port, d.second_port, "the dropped peer's port");
    cr_assert_str_eq(d.local_family, "IPv4");
    cr_assert_gt(d.local_port, 0);
    assert_all_released(d.loop, fds_before);
}

/* ---- state queries ----
 * node: s = new net.Socket(): pending true, connecting false, readyState 'closed';
 * s.connect(): connecting true, 'opening'; 'connect': 'open'; after end(): 'readOnly';
 * after destroy: destroyed true, pending true, 'closed'. */

struct states {
    char seen[6][16];
    bool connecting_in_connect, pending_in_connect;
    eddy_server *server_of_conn, *server;
};

static void states_on_connect(const eddy_event *ev, void *ctx)
{
    struct states *st = ctx;
    eddy_socket *s = ev->target;
    snprintf(st->seen[2], 16, "%s", eddy_socket_ready_state(s));
    st->connecting_in_connect = eddy_socket_connecting(s);
    st->pending_in_connect = eddy_socket_pending(s);
    eddy_socket_end(s, NULL, 0);
    snprintf(st->seen[3], 16, "%s", eddy_socket_ready_state(s));
    cr_assert(!eddy_socket_writable(s));
    cr_assert(eddy_socket_readable(s));
}

static void states_on_end(const eddy_event *ev, void *ctx)
{
    struct states *st = ctx;
    snprintf(st->seen[4], 16, "%s", eddy_socket_ready_state(ev->target));
}

static void states_conn(const eddy_event *ev, void *ctx)
{
    struct states *st = ctx;
    st->server_of_conn = eddy_socket_server(ev->u.socket);
    eddy_server_close(st->server, NULL, NULL);
}

Test(node_api, state_queries_follow_the_socket_through_its_life)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    struct states st = {0};
    st.server = eddy_create_server(loop, NULL, states_conn, &st);
    cr_assert_not(eddy_server_listening(st.server));
    cr_assert_eq(eddy_server_listen(st.server, 0, "127.0.0.1", NULL, NULL), 0);
    cr_assert(eddy_server_listening(st.server));
    eddy_socket *s = eddy_socket_new(loop, NULL);
    cr_assert(eddy_socket_pending(s));
    cr_assert_not(eddy_socket_connecting(s));
    cr_assert_not(eddy_socket_destroyed(s));
    snprintf(st.seen[0], 16, "%s", eddy_socket_ready_state(s));
    cr_assert_eq(eddy_socket_fd(s), -EBADF);
    cr_assert_eq(
        eddy_socket_connect(s, server_port(st.server), "127.0.0.1", states_on_connect, &st), 0);
    cr_assert(eddy_socket_connecting(s));
    cr_assert_geq(eddy_socket_fd(s), 0);
    snprintf(st.seen[1], 16, "%s", eddy_socket_ready_state(s));
    eddy_on(eddy_emitter_of(s), "end", states_on_end, &st);
    cr_assert_null(eddy_socket_server(s));
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_str_eq(st.seen[0], "open", "Node: a new Socket is readable and writable");
    cr_assert_str_eq(st.seen[1], "opening");
    cr_assert_str_eq(st.seen[2], "open");
    cr_assert_not(st.connecting_in_connect);
    cr_assert_not(st.pending_in_connect);
    cr_assert_str_eq(st.seen[3], "readOnly");
    cr_assert_str_eq(st.seen[4], "closed");
    cr_assert_eq(st.server_of_conn, st.server);
    assert_all_released(loop, fds_before);
}

/* ---- connect options ---- */

struct local {
    eddy_server *server;
    int remote_port_seen;
    int timeouts;
};

static void local_conn(const eddy_event *ev, void *ctx)
{
    struct local *l = ctx;
    eddy_address a;
    cr_assert_eq(eddy_socket_remote_address(ev->u.socket, &a), 0);
    l->remote_port_seen = a.port;
    eddy_server_close(l->server, NULL, NULL);
}

static void local_timeout(const eddy_event *ev, void *ctx)
{
    struct local *l = ctx;
    l->timeouts++;
    eddy_socket_destroy(ev->target);
}

Test(node_api, connect_options_bind_the_local_port_and_set_a_timeout)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    struct local l = {0};
    l.server = eddy_create_server(loop, NULL, local_conn, &l);
    cr_assert_eq(eddy_server_listen(l.server, 0, "127.0.0.1", NULL, NULL), 0);
    int local_port = unused_tcp_port();
    eddy_connect_options o = {.port = server_port(l.server),
                              .host = "127.0.0.1",
                              .local_address = "127.0.0.1",
                              .local_port = local_port,
                              .no_delay = true,
                              .keep_alive = true,
                              .keep_alive_initial_delay_ms = 2500,
                              .timeout_ms = 50};
    eddy_socket *s = eddy_connect(loop, &o, NULL, NULL);
    cr_assert_not_null(s);
    int fd = eddy_socket_fd(s), v = 0;
    socklen_t len = sizeof v;
    cr_assert_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
    cr_assert(v, "no_delay applied");
    cr_assert_eq(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len), 0);
    cr_assert_eq(v, 2, "keep-alive delay in whole seconds");
    eddy_on(eddy_emitter_of(s), "timeout", local_timeout, &l);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_eq(l.remote_port_seen, local_port);
    cr_assert_eq(l.timeouts, 1);
    /* family mismatch and bad ports are argument errors */
    eddy_connect_options bad = {.port = 80, .host = "127.0.0.1", .family = 6};
    cr_assert_null(eddy_connect(loop, &bad, NULL, NULL));
    bad.family = 5;
    cr_assert_null(eddy_connect(loop, &bad, NULL, NULL));
    bad = (eddy_connect_options){.port = 70000};
    cr_assert_null(eddy_connect(loop, &bad, NULL, NULL));
    cr_assert_null(eddy_connect(loop, NULL, NULL, NULL));
    assert_all_released(loop, fds_before);
}

/* ---- server options ---- */

struct srvopts {
    eddy_server *server;
    int nodelay, keepalive, keepidle;
};

static void srvopts_conn(const eddy_event *ev, void *ctx)
{
    struct srvopts *o = ctx;
    int fd = eddy_socket_fd(ev->u.socket);
    socklen_t len = sizeof(int);
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &o->nodelay, &len);
    getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &o->keepalive, &len);
    getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &o->keepidle, &len);
    eddy_socket_destroy(ev->u.socket);
    eddy_server_close(o->server, NULL, NULL);
}

Test(node_api, server_no_delay_and_keep_alive_reach_accepted_sockets)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    struct srvopts o = {0};
    eddy_server_options so = {
        .no_delay = true, .keep_alive = true, .keep_alive_initial_delay_ms = 3000};
    o.server = eddy_create_server(loop, &so, srvopts_conn, &o);
    cr_assert_eq(eddy_server_listen(o.server, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_socket *c = eddy_create_connection(loop, server_port(o.server), "127.0.0.1", NULL, NULL);
    eddy_on(eddy_emitter_of(c), "end", end_on_connect, NULL);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert(o.nodelay);
    cr_assert(o.keepalive);
    cr_assert_eq(o.keepidle, 3);
    assert_all_released(loop, fds_before);
}

Test(node_api, readable_all_and_writable_all_open_the_socket_file_to_everyone)
{
    int fds_before = open_fd_count();
    char dir[] = "/tmp/eddy-mode-XXXXXX", path[128];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.sock", dir);
    mode_t old = umask(077);
    eddy_loop *loop = eddy_loop_new();
    eddy_server_options so = {.readable_all = true, .writable_all = true};
    eddy_server *s = eddy_create_server(loop, &so, NULL, NULL);
    cr_assert_eq(eddy_server_listen_path(s, path, NULL, NULL), 0);
    umask(old);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0666, 0666, "mode %o", st.st_mode & 0777);
    eddy_server_close(s, NULL, NULL);
    cr_assert(loop_ends_by_itself(loop, 10000));
    rmdir(dir);
    assert_all_released(loop, fds_before);
}

/* ---- 'error' carries the address ---- */

struct errpay {
    char address[128];
    int port, code;
    char syscall[16];
};

static void record_payload(const eddy_event *ev, void *ctx)
{
    struct errpay *e = ctx;
    e->code = ev->u.error.code;
    e->port = ev->u.error.port;
    snprintf(e->address, sizeof e->address, "%s", ev->u.error.address ? ev->u.error.address : "");
    snprintf(e->syscall, sizeof e->syscall, "%s", ev->u.error.syscall);
}

Test(node_api, errors_carry_the_address_and_port_the_failed_call_used)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    int port = unused_tcp_port();
    struct errpay refused = {0}, unix_missing = {0}, inuse = {0};
    eddy_socket *c = eddy_create_connection(loop, port, "127.0.0.1", NULL, NULL);
    eddy_on(eddy_emitter_of(c), "error", record_payload, &refused);
    eddy_socket *u = eddy_create_connection_path(loop, "/tmp/eddy-no-such-dir/x.sock", NULL, NULL);
    eddy_on(eddy_emitter_of(u), "error", record_payload, &unix_missing);
    eddy_server *a = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(a, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_server *b = eddy_create_server(loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(b), "error", record_payload, &inuse);
    cr_assert_eq(eddy_server_listen(b, server_port(a), "127.0.0.1", NULL, NULL), 0);
    eddy_server_close(a, NULL, NULL);
    eddy_server_close(b, NULL, NULL);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_eq(refused.code, -ECONNREFUSED);
    cr_assert_str_eq(refused.address, "127.0.0.1");
    cr_assert_eq(refused.port, port);
    cr_assert_eq(unix_missing.code, -ENOENT);
    cr_assert_str_eq(unix_missing.address, "/tmp/eddy-no-such-dir/x.sock");
    cr_assert_eq(unix_missing.port, -1);
    cr_assert_eq(inuse.code, -EADDRINUSE);
    cr_assert_str_eq(inuse.syscall, "listen");
    cr_assert_str_eq(inuse.address, "127.0.0.1");
    cr_assert_gt(inuse.port, 0);
    assert_all_released(loop, fds_before);
}

/* ---- write_string_len ---- */

Test(node_api, write_string_len_writes_text_holding_u0000)
{
    int fds_before = open_fd_count();
    int p[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket_options o = {.fd = p[0]};
    eddy_socket *s = eddy_socket_new(loop, &o);
    /* U+00FF, U+0000, 'A' in UTF-8; latin1 takes one byte per character (Node) */
    cr_assert(eddy_socket_write_string_len(s, "\xc3\xbf\0A", 4, EDDY_ENC_LATIN1, NULL, NULL));
    cr_assert(eddy_socket_write_string_len(s, "\0", 1, EDDY_ENC_UTF8, NULL, NULL));
    eddy_socket_end(s, NULL, 0);
    shutdown(p[1], SHUT_WR);
    cr_assert(loop_ends_by_itself(loop, 5000));
    unsigned char buf[8];
    cr_assert_eq(read(p[1], buf, sizeof buf), 4);
    cr_assert_eq(buf[0], 0xff);
    cr_assert_eq(buf[1], 0x00);
    cr_assert_eq(buf[2], 'A');
    cr_assert_eq(buf[3], 0x00);
    close(p[1]);
    assert_all_released(loop, fds_before);
}

/* ---- reconnect from 'close' (test-net-reconnect does it 50 times) ---- */

struct reconnect {
    eddy_server *server;
    int port, closes, connects, readies, write_status;
};

static void rc_write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    ((struct reconnect *)ctx)->write_status = status;
}

static void rc_close(const eddy_event *ev, void *ctx)
{
    struct reconnect *r = ctx;
    eddy_socket *s = ev->target;
    if (++r->closes == 5) {
        eddy_server_close(r->server, NULL, NULL);
        return;
    }
    eddy_socket_write(s, "late", 4, rc_write_cb, r); /* a write in 'close' fails */
    cr_assert_eq(eddy_socket_connect(s, r->port, "127.0.0.1", NULL, NULL), 0);
}

static void rc_connect(const eddy_event *ev, void *ctx)
{
    struct reconnect *r = ctx;
    r->connects++;
    eddy_socket_end(ev->target, NULL, 0);
}

static void rc_ready(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct reconnect *)ctx)->readies++;
}

Test(node_api, a_socket_connects_again_from_its_own_close_listener)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    struct reconnect r = {.write_status = 1};
    r.server = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(r.server, 0, "127.0.0.1", NULL, NULL), 0);
    r.port = server_port(r.server);
    eddy_socket *s = eddy_create_connection(loop, r.port, "127.0.0.1", NULL, NULL);
    eddy_emitter *e = eddy_emitter_of(s);
    eddy_on(e, "connect", rc_connect, &r);
    eddy_on(e, "ready", rc_ready, &r);
    eddy_on(e, "close", rc_close, &r);
    cr_assert(loop_ends_by_itself(loop, 10000));
    cr_assert_eq(r.closes, 5);
    cr_assert_eq(r.connects, 5);
    cr_assert_eq(r.readies, 5);
    cr_assert_eq(r.write_status, -EPIPE);
    assert_all_released(loop, fds_before);
}
