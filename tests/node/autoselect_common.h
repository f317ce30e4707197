/* Shared by the translations of test-net-autoselectfamily*.js: Node's tests feed a custom
 * lookup from a DNS server of their own (UDP on loopback); eddy's user resolver answers
 * the same addresses directly. A server answers the first 'data' with "response-ipv4" or
 * "response-ipv6" and ends; the client writes "request" and gathers the response. */
#ifndef EDDY_TESTS_NODE_AUTOSELECT_COMMON_H
#define EDDY_TESTS_NODE_AUTOSELECT_COMMON_H

#include "node_helpers.h"

typedef struct {
    const char *addrs[8];
    size_t count;
    int calls, family;
} as_resolver;

static inline void as_resolve(eddy_lookup *req, const char *host, int family, void *ctx)
{
    as_resolver *r = ctx;
    r->calls++;
    r->family = family;
    cr_assert_str_eq(host, "example.org");
    cr_assert_eq(eddy_lookup_done(req, 0, r->addrs, r->count), 0);
}

typedef struct {
    const char *reply;
    int data_events;
} as_server;

static inline void as_server_data(const eddy_event *ev, void *ctx)
{
    as_server *s = ctx;
    if (s->data_events++ == 0) {
        eddy_socket_write_string(ev->target, s->reply, EDDY_ENC_UTF8, NULL, NULL);
        eddy_socket_end(ev->target, NULL, 0);
    }
}

static inline void as_server_connection(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "data", as_server_data, ctx);
}

/* A server on host:port (port 0: any) that answers with reply; returns its port. */
static inline int as_listen(eddy_loop *loop, eddy_server **out, as_server *s, const char *host,
                            int port)
{
    *out = eddy_create_server(loop, NULL, as_server_connection, s);
    cr_assert_eq(eddy_server_listen(*out, port, host, NULL, NULL), 0);
    for (int i = 0; i < 100 && server_port(*out) < 0; i++)
        eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    cr_assert_gt(server_port(*out), 0);
    return server_port(*out);
}

typedef struct {
    char response[64];
    int ends, errors, error_code, readies;
    char error_address[64];
    int error_port;
    eddy_server *close_on_end[2];
} as_client;

static inline void as_client_data(const eddy_event *ev, void *ctx)
{
    as_client *c = ctx;
    size_t n = strlen(c->response);
    snprintf(c->response + n, sizeof c->response - n, "%s", (const char *)ev->u.data.bytes);
}

static inline void as_client_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    as_client *c = ctx;
    c->ends++;
    for (int i = 0; i < 2; i++)
        if (c->close_on_end[i])
            eddy_server_close(c->close_on_end[i], NULL, NULL);
}

static inline void as_client_error(const eddy_event *ev, void *ctx)
{
    as_client *c = ctx;
    c->errors++;
    c->error_code = ev->u.error.code;
    c->error_port = ev->u.error.port;
    snprintf(c->error_address, sizeof c->error_address, "%s",
             ev->u.error.address ? ev->u.error.address : "");
    for (int i = 0; i < 2; i++)
        if (c->close_on_end[i])
            eddy_server_close(c->close_on_end[i], NULL, NULL);
}

static inline void as_client_ready(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((as_client *)ctx)->readies++;
}

/* createConnection({host: 'example.org', port, lookup, autoSelectFamily}), utf-8, write. */
static inline eddy_socket *as_connect(eddy_loop *loop, int port, as_resolver *r, bool auto_select,
                                      as_client *c)
{
    eddy_connect_options o = {.port = port,
                              .host = "example.org",
                              .lookup = as_resolve,
                              .lookup_ctx = r,
                              .no_auto_select_family = !auto_select};
    eddy_socket *s = eddy_connect(loop, &o, NULL, NULL);
    cr_assert_not_null(s);
    eddy_socket_set_encoding(s, EDDY_ENC_UTF8);
    eddy_emitter *e = eddy_emitter_of(s);
    eddy_on(e, "data", as_client_data, c);
    eddy_on(e, "end", as_client_end, c);
    eddy_on(e, "error", as_client_error, c);
    eddy_on(e, "ready", as_client_ready, c);
    eddy_socket_write_string(s, "request", EDDY_ENC_UTF8, NULL, NULL);
    return s;
}

#endif
