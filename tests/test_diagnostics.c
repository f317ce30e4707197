/* Diagnostics without stdio: the unhandled 'error' line and the max-listeners warning reach
 * the hook the user set (per standalone emitter, per loop for servers and sockets) with the
 * text the default prints, and nothing is printed then. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "net_helpers.h"

typedef struct {
    int calls;
    eddy_diagnostic_kind kind;
    char text[512];
    char event_name[64];
    size_t count;
    eddy_emitter *emitter;
    int error_code;
} diag_log;

static void record_diag(const eddy_diagnostic *d, void *ctx)
{
    diag_log *log = ctx;
    log->calls++;
    log->kind = d->kind;
    snprintf(log->text, sizeof log->text, "%s", d->text);
    snprintf(log->event_name, sizeof log->event_name, "%s", d->event_name);
    log->count = d->count;
    log->emitter = d->emitter;
    log->error_code = d->event ? d->event->u.error.code : 0;
}

static void nothing(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
}

Test(diagnostics, unhandled_error_of_a_standalone_emitter_goes_to_its_hook,
     .init = cr_redirect_stderr)
{
    eddy_emitter *e = eddy_emitter_new();
    diag_log log = {0};
    cr_assert_eq(eddy_emitter_on_diagnostic(e, record_diag, &log), 0);
    eddy_event ev;
    memset(&ev, 0, sizeof ev);
    ev.u.error.code = -ECONNRESET;
    ev.u.error.syscall = "read";

    cr_assert_eq(eddy_emit(e, "error", &ev), 0);

    cr_assert_eq(log.calls, 1);
    cr_assert_eq(log.kind, EDDY_DIAG_UNHANDLED_ERROR);
    cr_assert_str_eq(log.text,
                     "eddy: unhandled 'error' event: ECONNRESET (connection reset by peer) [read]");
    cr_assert_str_eq(log.event_name, "error");
    cr_assert_eq(log.emitter, e);
    cr_assert_eq(log.error_code, -ECONNRESET);
    cr_assert_stderr_eq_str("", "the hook replaces the default line");
    eddy_emitter_free(e);
}

Test(diagnostics, max_listeners_warning_of_a_standalone_emitter_goes_to_its_hook,
     .init = cr_redirect_stderr)
{
    eddy_emitter *e = eddy_emitter_new();
    diag_log log = {0};
    eddy_emitter_on_diagnostic(e, record_diag, &log);
    for (int i = 0; i < 11; i++)
        eddy_on(e, "tick", nothing, NULL);

    cr_assert_eq(log.calls, 1);
    cr_assert_eq(log.kind, EDDY_DIAG_MAX_LISTENERS);
    cr_assert_str_eq(log.text, "eddy: possible listener leak: 11 'tick' listeners on one emitter "
                               "(max 10); raise the limit with eddy_set_max_listeners()");
    cr_assert_str_eq(log.event_name, "tick");
    cr_assert_eq(log.count, 11);
    cr_assert_stderr_eq_str("");
    eddy_emitter_free(e);
}

Test(diagnostics, a_null_hook_restores_the_line_on_stderr, .init = cr_redirect_stderr)
{
    eddy_emitter *e = eddy_emitter_new();
    diag_log log = {0};
    eddy_emitter_on_diagnostic(e, record_diag, &log);
    eddy_emitter_on_diagnostic(e, NULL, NULL);

    eddy_emit(e, "error", NULL);

    cr_assert_eq(log.calls, 0);
    cr_assert_stderr_eq_str("eddy: unhandled 'error' event\n");
    eddy_emitter_free(e);
}

Test(diagnostics, a_long_event_name_is_cut_and_the_advice_kept)
{
    eddy_emitter *e = eddy_emitter_new();
    diag_log log = {0};
    eddy_emitter_on_diagnostic(e, record_diag, &log);
    eddy_set_max_listeners(e, 1);
    char name[400];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    eddy_on(e, name, nothing, NULL);
    eddy_on(e, name, nothing, NULL);

    cr_assert_eq(log.calls, 1);
    cr_assert_lt(strlen(log.text), 256);
    cr_assert(strstr(log.text, "' listeners on one emitter (max 1); raise the limit with "
                               "eddy_set_max_listeners()") != NULL,
              "%s", log.text);
    eddy_emitter_free(e);
}

Test(diagnostics, the_emitter_of_a_server_takes_no_hook_of_its_own)
{
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    diag_log log = {0};

    cr_assert_eq(eddy_emitter_on_diagnostic(eddy_emitter_of(s), record_diag, &log), -EINVAL);
    cr_assert_eq(eddy_emitter_on_diagnostic(NULL, record_diag, &log), -EINVAL);

    eddy_server_close(s, NULL, NULL);
    run_loop_for(loop, 2000);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

static void server_closed(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (*(int *)ctx)++;
}

Test(diagnostics, unhandled_server_error_goes_to_the_loops_hook_then_the_server_closes,
     .init = cr_redirect_stderr)
{
    eddy_loop *loop = eddy_loop_new();
    diag_log log = {0};
    eddy_loop_on_diagnostic(loop, record_diag, &log);
    eddy_server *first = eddy_create_server(loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(first, 0, "127.0.0.1", NULL, NULL), 0);
    run_loop_for(loop, 50);
    int port = server_port(first);
    cr_assert_gt(port, 0);
    eddy_server *second = eddy_create_server(loop, NULL, NULL, NULL);
    int closes = 0;
    eddy_on(eddy_emitter_of(second), "close", server_closed, &closes);

    cr_assert_eq(eddy_server_listen(second, port, "127.0.0.1", NULL, NULL), 0);
    run_loop_for(loop, 200);

    cr_assert_eq(log.calls, 1);
    cr_assert_eq(log.kind, EDDY_DIAG_UNHANDLED_ERROR);
    cr_assert_str_eq(log.text, "eddy: unhandled 'error' on a server: EADDRINUSE (address already "
                               "in use) [listen]");
    cr_assert_eq(log.emitter, eddy_emitter_of(second));
    cr_assert_eq(log.error_code, -EADDRINUSE);
    cr_assert_eq(closes, 1, "the default still closes the server after the hook");
    cr_assert_stderr_eq_str("");
    eddy_server_close(first, NULL, NULL);
    run_loop_for(loop, 2000);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(diagnostics, max_listeners_warning_of_a_socket_goes_to_the_loops_hook,
     .init = cr_redirect_stderr)
{
    eddy_loop *loop = eddy_loop_new();
    diag_log log = {0};
    eddy_loop_on_diagnostic(loop, record_diag, &log);
    eddy_socket *s = eddy_socket_new(loop, NULL);
    cr_assert_not_null(s);
    for (int i = 0; i < 11; i++)
        eddy_on(eddy_emitter_of(s), "data", nothing, NULL);

    cr_assert_eq(log.calls, 1);
    cr_assert_eq(log.kind, EDDY_DIAG_MAX_LISTENERS);
    cr_assert_str_eq(log.text, "eddy: possible listener leak: 11 'data' listeners on one emitter "
                               "(max 10); raise the limit with eddy_set_max_listeners()");
    cr_assert_eq(log.emitter, eddy_emitter_of(s));
    cr_assert_stderr_eq_str("");
    eddy_socket_destroy(s);
    run_loop_for(loop, 2000);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(diagnostics, without_a_hook_the_socket_line_goes_to_stderr, .init = cr_redirect_stderr)
{
    eddy_loop *loop = eddy_loop_new();
    eddy_socket *s = eddy_socket_new(loop, NULL);
    eddy_event ev;
    memset(&ev, 0, sizeof ev);
    ev.u.error.code = -ECONNRESET;
    ev.u.error.syscall = "read";

    eddy_emit(eddy_emitter_of(s), "error", &ev);
    run_loop_for(loop, 2000);

    cr_assert_stderr_eq_str(
        "eddy: unhandled 'error' on a socket: ECONNRESET (connection reset by peer) [read]\n");
    cr_assert_eq(eddy_loop_free(loop), 0, "the default destroyed the socket");
}

Test(diagnostics, the_uncaught_error_hook_still_takes_precedence, .init = cr_redirect_stderr)
{
    eddy_loop *loop = eddy_loop_new();
    diag_log log = {0};
    int uncaught = 0;
    eddy_loop_on_diagnostic(loop, record_diag, &log);
    eddy_loop_on_uncaught_error(loop, server_closed, &uncaught);
    eddy_socket *s = eddy_socket_new(loop, NULL);

    eddy_emit(eddy_emitter_of(s), "error", NULL);

    cr_assert_eq(uncaught, 1);
    cr_assert_eq(log.calls, 0);
    cr_assert_stderr_eq_str("");
    eddy_socket_destroy(s);
    run_loop_for(loop, 2000);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(diagnostics, diagnostic_print_writes_the_line_and_a_newline, .init = cr_redirect_stderr)
{
    eddy_diagnostic d = {.kind = EDDY_DIAG_MAX_LISTENERS, .text = "eddy: a line"};

    eddy_diagnostic_print(&d);
    eddy_diagnostic_print(NULL);

    cr_assert_stderr_eq_str("eddy: a line\n");
}
