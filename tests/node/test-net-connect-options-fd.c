/* Node test: test-net-connect-options-fd.js
 * Asserts: a socket made around an existing, bound but unconnected UNIX socket fd
 * (new Socket({fd}) or connect({fd, path})) connects through that very fd: in its
 * connect callback its handle's fd is the fd given; it writes the fd number, the server
 * receives it and ends; all six forms do; the server closes after the sixth 'end'.
 * eddy: eddy_socket_new with eddy_socket_options.fd = the bound fd (type "unix"), then
 * eddy_socket_connect_path, with and without on_connect (Node's six forms collapse to
 * two, used three times each). eddy does not expose a socket's fd, so "the same fd" is
 * checked as: the server's peer address is the path the fd was bound to. */
#include "node_helpers.h"

#define CLIENTS 6

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    node_tmpdir t;
    char path[256];
    int connects, server_ends, new_failed, connect_rc, bound_peer;
    char client_paths[CLIENTS][256];
};

static void conn_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_end(ev->target, NULL, 0);
}

static void conn_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    if (++x->server_ends == CLIENTS)
        eddy_server_close(x->srv, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_address a;
    if (eddy_socket_remote_address(ev->u.socket, &a) == 0)
        for (int i = 0; i < CLIENTS; i++)
            if (strcmp(a.address, x->client_paths[i]) == 0)
                x->bound_peer++;
    eddy_on(eddy_emitter_of(ev->u.socket), "data", conn_data, x);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", conn_end, x);
}

static void c_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->connects++;
    eddy_socket_write(ev->target, "fd", 2, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    for (int i = 0; i < CLIENTS; i++) {
        char name[32];
        snprintf(name, sizeof name, "client-%d", i);
        node_tmpdir_path(&x->t, name, x->client_paths[i], sizeof x->client_paths[i]);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%s", x->client_paths[i]);
        cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
        eddy_socket_options o = {.fd = fd, .type = "unix"};
        eddy_socket *s = eddy_socket_new(x->loop, &o);
        if (!s) {
            x->new_failed++;
            close(fd);
            continue;
        }
        bool with_cb = i % 2;
        int rc = eddy_socket_connect_path(s, x->path, with_cb ? c_connect : NULL, x);
        if (rc != 0) {
            x->connect_rc = rc;
            eddy_socket_destroy(s);
            continue;
        }
        if (!with_cb)
            eddy_on(eddy_emitter_of(s), "connect", c_connect, x);
    }
    if (x->new_failed || x->connect_rc)
        eddy_server_close(x->srv, NULL, NULL);
}

Test(net_connect_options_fd, connect_through_a_bound_unix_fd)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    node_tmpdir_make(&x.t);
    node_tmpdir_path(&x.t, "server", x.path, sizeof x.path);
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen_path(x.srv, x.path, on_listening, &x), 0);
    node_run(&env, 10000);
    node_tmpdir_remove(&x.t);
    cr_assert_eq(x.new_failed, 0, "eddy_socket_new refused a bound, unconnected UNIX fd");
    cr_assert_eq(x.connect_rc, 0, "eddy_socket_connect_path on a socket made from an fd: %s",
                 eddy_err_name(x.connect_rc));
    cr_assert_eq(x.connects, CLIENTS);
    cr_assert_eq(x.server_ends, CLIENTS);
    cr_assert_eq(x.bound_peer, CLIENTS, "the connections did not come from the bound fds");
    node_finish(&env);
}
