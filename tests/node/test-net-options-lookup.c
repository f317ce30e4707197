/* Node test: test-net-options-lookup.js
 * Asserts: a lookup option that is not a function throws ERR_INVALID_ARG_TYPE; a function
 * that never calls back (() => {}) is accepted (connect does not throw).
 * eddy: the type checks have no C form (eddy_resolver is a function type). A resolver that
 * never answers is accepted: eddy_connect returns the socket, which stays connecting (no
 * 'lookup', no 'connect', no 'error'); destroying it gives 'close'(false) only, and the
 * resolver's late eddy_lookup_done is dropped (returns 0). */
#include "node_helpers.h"

struct x {
    eddy_lookup *req;
    int calls, events, closes;
};

static void never_answers(eddy_lookup *req, const char *host, int family, void *ctx)
{
    (void)host;
    (void)family;
    struct x *x = ctx;
    x->calls++;
    x->req = req;
}

static void count_event(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    if (strcmp(ev->name, "close") == 0)
        x->closes++;
    else
        x->events++;
}

static void destroy_later(void *arg)
{
    eddy_socket_destroy(arg);
}

Test(net_options_lookup, a_resolver_that_never_answers_is_accepted)
{
    node_env env = node_start();
    struct x x = {0};
    eddy_connect_options o = {
        .port = 80, .host = "localhost", .lookup = never_answers, .lookup_ctx = &x};
    eddy_socket *s = eddy_connect(env.loop, &o, NULL, NULL);
    cr_assert_not_null(s);
    cr_assert_eq(x.calls, 1);
    cr_assert(eddy_socket_connecting(s));
    const char *names[] = {"lookup", "connect", "error", "close"};
    for (size_t i = 0; i < 4; i++)
        eddy_on(eddy_emitter_of(s), names[i], count_event, &x);
    eddy_set_timeout(env.loop, 50, destroy_later, s);
    node_run(&env, 5000);
    cr_assert_eq(x.events, 0);
    cr_assert_eq(x.closes, 1);
    const char *addr = "127.0.0.1";
    cr_assert_eq(eddy_lookup_done(x.req, 0, &addr, 1), 0);
    node_finish(&env);
}
