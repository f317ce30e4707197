/* net.Socket: pipe, with backpressure. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>

#include "net_internal.h"

/* ---- pipe ----
 * Listeners only: src's 'data' writes to dst (ctx dst) and pauses src when dst is full;
 * dst's 'drain' resumes src (ctx src); src's 'end' ends dst. Whichever closes first
 * removes the listeners that point at it from the other. */

static void pipe_on_data(const eddy_event *ev, void *ctx)
{
    eddy_socket *src = ev->target, *dst = ctx;
    if (!eddy_socket_write(dst, ev->u.data.bytes, ev->u.data.len, NULL, NULL))
        eddy_socket_pause(src);
}

static void pipe_on_drain(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_socket_resume(ctx);
}

static void pipe_on_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_socket_end(ctx, NULL, 0);
}

static void pipe_unlink_src(const eddy_event *ev, void *ctx);

/* dst closed: src must stop writing into it */
static void pipe_unlink_dst(const eddy_event *ev, void *ctx)
{
    eddy_socket *dst = ev->target, *src = ctx;
    eddy__off_id(&src->emitter, EDDY__EV_DATA, pipe_on_data, dst);
    eddy__off_id(&src->emitter, EDDY__EV_END, pipe_on_end, dst);
    eddy__off_id(&src->emitter, EDDY__EV_CLOSE, pipe_unlink_src, dst);
}

/* src closed: dst must forget it */
static void pipe_unlink_src(const eddy_event *ev, void *ctx)
{
    eddy_socket *src = ev->target, *dst = ctx;
    eddy__off_id(&dst->emitter, EDDY__EV_DRAIN, pipe_on_drain, src);
    eddy__off_id(&dst->emitter, EDDY__EV_CLOSE, pipe_unlink_dst, src);
}

int eddy_socket_pipe(eddy_socket *src, eddy_socket *dst, bool end_dst)
{
    if (!src || !dst || socket_has(src, S_DESTROYED) || socket_has(dst, S_DESTROYED))
        return -EINVAL;
    int err = eddy__on_id(&src->emitter, EDDY__EV_DATA, pipe_on_data, dst, false);
    if (!err && end_dst)
        err = eddy__on_id(&src->emitter, EDDY__EV_END, pipe_on_end, dst, false);
    if (!err)
        err = eddy__on_id(&src->emitter, EDDY__EV_CLOSE, pipe_unlink_src, dst, false);
    if (!err)
        err = eddy__on_id(&dst->emitter, EDDY__EV_DRAIN, pipe_on_drain, src, false);
    if (!err)
        err = eddy__on_id(&dst->emitter, EDDY__EV_CLOSE, pipe_unlink_dst, src, false);
    if (err) {
        eddy_event ev = {0};
        ev.target = src;
        pipe_unlink_src(&ev, dst);
        ev.target = dst;
        pipe_unlink_dst(&ev, src);
        return err;
    }
    eddy_socket_resume(src);
    return 0;
}
