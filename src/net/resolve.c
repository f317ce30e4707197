/* Name resolution off the loop: getaddrinfo on a small pool of worker threads, per loop.
 *
 * getaddrinfo blocks (files, DNS, NSS modules), so it never runs on the loop's thread. The
 * pool is made by the first lookup of a loop: a program that uses only IP literals and
 * UNIX paths never starts a thread. Threads are added one at a time while requests wait
 * and no worker is idle, up to MAX_WORKERS, and live until eddy_loop_free joins them.
 *
 * A request is owned by the pool from eddy__lookup_start to the end of its completion on
 * the loop: its owner (a socket, a server) only points at it. Cancelling (the owner was
 * destroyed) clears the callback and nothing else; the worker, which never touches the
 * owner, finishes its getaddrinfo and the result is dropped on the loop. The completions
 * come back in one batch through one post node embedded in the pool (eddy__post_embedded:
 * posting cannot fail, so no result is ever lost), and until its completion ran a request
 * is a handle of the loop and keeps it alive, also once cancelled, as a libuv
 * getaddrinfo request keeps Node's loop alive. eddy_loop_free therefore returns -EBUSY
 * while any request is in flight, and when it succeeds every worker is idle and is
 * joined.
 */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "net_internal.h"

/* A request for host, with its copy of the name; NULL on -ENOMEM. */
static struct eddy__lookup_req *lookup_req_new(const char *host, int family, bool addrconfig,
                                               eddy__lookup_cb cb, void *owner)
{
    size_t n = strlen(host);
    struct eddy__lookup_req *req = eddy__calloc(1, sizeof *req + n + 1);
    if (!req)
        return NULL;
    memcpy(req->host, host, n + 1);
    req->family = family;
    req->addrconfig = addrconfig;
    req->cb = cb;
    req->owner = owner;
    return req;
}

#ifdef EDDY_NO_RESOLVER
#include <arpa/inet.h>

/* No getaddrinfo and no thread (eddy/config.h): "localhost" is 127.0.0.1, any other name
 * fails as a name that does not resolve (EDDY_ENOTFOUND, syscall "getaddrinfo"), with
 * the events a failed lookup has. The result still comes from the loop, never from
 * inside the connect or listen call, and the request is a handle until then. */
struct local_lookup {
    eddy__deferred deliver;
    eddy_loop *loop;
    struct eddy__lookup_req *req;
};

static void local_deliver(eddy__deferred *d)
{
    struct local_lookup *l = EDDY__CONTAINER_OF(d, struct local_lookup, deliver);
    eddy_loop *loop = l->loop;
    struct eddy__lookup_req *req = l->req;
    if (req->cb)
        req->cb(req, req->owner); /* may take req->addrs */
    eddy__free(req->addrs);
    eddy__free(req);
    eddy__free(l);
    eddy__loop_unref(loop);
    eddy__handle_remove(loop);
}

struct eddy__lookup_req *eddy__lookup_start(eddy_loop *loop, const char *host, int family,
                                            bool addrconfig, eddy__lookup_cb cb, void *owner,
                                            int *err)
{
    struct local_lookup *l = eddy__calloc(1, sizeof *l);
    struct eddy__lookup_req *req = l ? lookup_req_new(host, family, addrconfig, cb, owner) : NULL;
    if (!req) {
        eddy__free(l);
        *err = -ENOMEM;
        return NULL;
    }
    req->err = EDDY_ENOTFOUND;
    if (family != 6 && strcmp(host, "localhost") == 0) {
        req->addrs = eddy__calloc(1, sizeof *req->addrs);
        if (!req->addrs) {
            eddy__free(req);
            eddy__free(l);
            *err = -ENOMEM;
            return NULL;
        }
        req->addrs[0].in4.sin_family = AF_INET;
        req->addrs[0].in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        req->count = 1;
        req->err = 0;
    }
    l->loop = loop;
    l->req = req;
    eddy__deferred_init(&l->deliver, local_deliver);
    eddy__defer(loop, &l->deliver);
    eddy__handle_add(loop);
    eddy__loop_ref(loop);
    return req;
}

void eddy__lookup_cancel(struct eddy__lookup_req *req)
{
    if (req)
        req->cb = NULL;
}

int eddy__resolve_test_delay(eddy_loop *loop, void (*delay)(const char *host))
{
    (void)loop, (void)delay;
    return -ENOSYS;
}

unsigned eddy__resolve_workers(const eddy_loop *loop)
{
    (void)loop;
    return 0;
}
#else
#include <netdb.h>
#include <pthread.h>
#include <signal.h>

enum { MAX_WORKERS = 4 };

struct resolver {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    eddy__queue todo; /* submitted, not taken by a worker */
    eddy__queue done; /* resolved, completion not yet run on the loop */
    unsigned workers, idle;
    bool stopping;
    bool post_queued; /* post is in the loop's queue (or about to be) */
    eddy__post post;
    eddy_loop *loop;
    void (*test_delay)(const char *host);
    pthread_t threads[MAX_WORKERS];
};

/* getaddrinfo's error as eddy reports it (libuv's mapping). */
static int lookup_error(int gai)
{
    switch (gai) {
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
        return EDDY_EAI_ADDRFAMILY;
#endif
    case EAI_AGAIN:
        return EDDY_EAI_AGAIN;
    case EAI_BADFLAGS:
        return EDDY_EAI_BADFLAGS;
#ifdef EAI_CANCELED
    case EAI_CANCELED:
        return EDDY_EAI_CANCELED;
#endif
    case EAI_FAIL:
        return EDDY_EAI_FAIL;
    case EAI_FAMILY:
        return EDDY_EAI_FAMILY;
    case EAI_MEMORY:
        return EDDY_EAI_MEMORY;
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
    case EAI_NODATA:
        return EDDY_EAI_NODATA;
#endif
    case EAI_NONAME:
        return EDDY_ENOTFOUND;
#ifdef EAI_OVERFLOW
    case EAI_OVERFLOW:
        return EDDY_EAI_OVERFLOW;
#endif
    case EAI_SERVICE:
        return EDDY_EAI_SERVICE;
    case EAI_SOCKTYPE:
        return EDDY_EAI_SOCKTYPE;
#ifdef EAI_BADHINTS
    case EAI_BADHINTS:
        return EDDY_EAI_BADHINTS;
#endif
#ifdef EAI_PROTOCOL
    case EAI_PROTOCOL:
        return EDDY_EAI_PROTOCOL;
#endif
    default:
        return EDDY_EAI_FAIL;
    }
}

/* Runs on a worker: getaddrinfo, its list copied into req->addrs in its order (Node's
 * verbatim order), IPv4 and IPv6 only. */
static void lookup_run(void (*test_delay)(const char *), struct eddy__lookup_req *req)
{
    if (test_delay)
        test_delay(req->host);
    struct addrinfo hints, *list = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = req->family == 4 ? AF_INET : req->family == 6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = req->addrconfig ? AI_ADDRCONFIG : 0;
    int gai = getaddrinfo(req->host, NULL, &hints, &list);
    if (gai != 0) {
        req->err = gai == EAI_SYSTEM && errno ? -errno : lookup_error(gai);
        return;
    }
    size_t n = 0;
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next)
        n++;
    req->addrs = n ? eddy__calloc(n, sizeof *req->addrs) : NULL;
    if (n && !req->addrs) {
        freeaddrinfo(list);
        req->err = EDDY_EAI_MEMORY;
        return;
    }
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof req->addrs[0])
            continue;
        memcpy(&req->addrs[req->count++], ai->ai_addr, ai->ai_addrlen);
    }
    freeaddrinfo(list);
    if (req->count == 0)
        req->err = EDDY_ENOTFOUND;
}

static void *worker_main(void *arg)
{
    struct resolver *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (eddy__queue_empty(&r->todo) && !r->stopping) {
            r->idle++;
            pthread_cond_wait(&r->wake, &r->lock);
            r->idle--;
        }
        if (eddy__queue_empty(&r->todo))
            break; /* stopping, and nothing left */
        struct eddy__lookup_req *req =
            EDDY__CONTAINER_OF(r->todo.next, struct eddy__lookup_req, node);
        eddy__queue_remove(&req->node);
        void (*test_delay)(const char *) = r->test_delay;
        pthread_mutex_unlock(&r->lock);

        lookup_run(test_delay, req);

        pthread_mutex_lock(&r->lock);
        eddy__queue_insert_tail(&r->done, &req->node);
        if (!r->post_queued) {
            r->post_queued = true;
            /* Posting takes the loop's post lock, never ours the other way round. The
             * loop is not freed before this thread is joined. */
            eddy__post_embedded(r->loop, &r->post);
        }
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void request_free(struct eddy__lookup_req *req)
{
    eddy__free(req->addrs);
    eddy__free(req);
}

/* On the loop: the batch of finished requests, each completed (or dropped) and freed. */
static void resolver_deliver(void *arg)
{
    struct resolver *r = arg;
    eddy__queue batch;
    eddy__queue_init(&batch);
    pthread_mutex_lock(&r->lock);
    eddy__queue_move(&r->done, &batch);
    r->post_queued = false;
    pthread_mutex_unlock(&r->lock);
    while (!eddy__queue_empty(&batch)) {
        struct eddy__lookup_req *req =
            EDDY__CONTAINER_OF(batch.next, struct eddy__lookup_req, node);
        eddy__queue_remove(&req->node);
        eddy_loop *loop = r->loop;
        if (req->cb)
            req->cb(req, req->owner);
        request_free(req);
        eddy__loop_unref(loop);
        eddy__handle_remove(loop);
    }
}

static void resolver_free(eddy_loop *loop)
{
    struct resolver *r = loop->resolver;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    for (unsigned i = 0; i < r->workers; i++)
        pthread_join(r->threads[i], NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    eddy__free(r);
    loop->resolver = NULL;
    loop->resolver_free = NULL;
}

static struct resolver *resolver_get(eddy_loop *loop)
{
    if (loop->resolver)
        return loop->resolver;
    struct resolver *r = eddy__calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        eddy__free(r);
        return NULL;
    }
    if (pthread_cond_init(&r->wake, NULL) != 0) {
        pthread_mutex_destroy(&r->lock);
        eddy__free(r);
        return NULL;
    }
    eddy__queue_init(&r->todo);
    eddy__queue_init(&r->done);
    eddy__queue_init(&r->post.node);
    r->post.fn = resolver_deliver;
    r->post.arg = r;
    r->loop = loop;
    loop->resolver = r;
    loop->resolver_free = resolver_free;
    return r;
}

/* A new worker, with every signal blocked: signals stay the loop thread's business. Called
 * with the lock held. 0 or -errno. */
static int worker_add(struct resolver *r)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&r->threads[r->workers], NULL, worker_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        return -err;
    r->workers++;
    return 0;
}

struct eddy__lookup_req *eddy__lookup_start(eddy_loop *loop, const char *host, int family,
                                            bool addrconfig, eddy__lookup_cb cb, void *owner,
                                            int *err)
{
    /* The workers' answers come back by a post that must not fail: its wakeup first. */
    int perr = eddy__post_prepare(loop);
    if (perr < 0) {
        *err = perr;
        return NULL;
    }
    struct resolver *r = resolver_get(loop);
    struct eddy__lookup_req *req = r ? lookup_req_new(host, family, addrconfig, cb, owner) : NULL;
    if (!req) {
        *err = -ENOMEM;
        return NULL;
    }
    pthread_mutex_lock(&r->lock);
    int e = 0;
    if (r->idle == 0 && r->workers < MAX_WORKERS)
        e = worker_add(r);
    if (e < 0 && r->workers == 0) {
        pthread_mutex_unlock(&r->lock);
        eddy__free(req);
        *err = e == -EAGAIN ? EDDY_EAI_AGAIN : e; /* no thread at all: not now */
        return NULL;
    }
    eddy__queue_insert_tail(&r->todo, &req->node);
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    eddy__handle_add(loop);
    eddy__loop_ref(loop);
    return req;
}

void eddy__lookup_cancel(struct eddy__lookup_req *req)
{
    if (req)
        req->cb = NULL; /* read on the loop thread only, as it is written */
}

int eddy__resolve_test_delay(eddy_loop *loop, void (*delay)(const char *host))
{
    struct resolver *r = resolver_get(loop);
    if (!r)
        return -ENOMEM;
    pthread_mutex_lock(&r->lock);
    r->test_delay = delay;
    pthread_mutex_unlock(&r->lock);
    return 0;
}

unsigned eddy__resolve_workers(const eddy_loop *loop)
{
    const struct resolver *r = loop->resolver;
    return r ? r->workers : 0;
}
#endif
