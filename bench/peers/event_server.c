/* libevent's benchmark server, in libevent's idiom: an evconnlistener and a bufferevent
 * per connection; replies are added to the output evbuffer, which libevent flushes.
 *
 *   event_server pong|echo|http PORT */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/protocol.h"

static enum bench_mode mode;
static char replies[64 * 1024];
static size_t reply_len, replies_cap;

static void send_replies(struct evbuffer *out, size_t n)
{
    while (n > 0) {
        size_t k = n < replies_cap ? n : replies_cap;
        evbuffer_add(out, replies, k * reply_len);
        n -= k;
    }
}

static void on_read(struct bufferevent *bev, void *ctx)
{
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer *out = bufferevent_get_output(bev);
    if (mode == MODE_ECHO) {
        evbuffer_add_buffer(out, in);
        return;
    }
    /* Count over the buffer's chunks in place, then drain: no copy, no allocation. */
    size_t n = 0;
    while (evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec vec[16];
        int nvec = evbuffer_peek(in, -1, NULL, vec, 16);
        if (nvec > 16)
            nvec = 16;
        size_t total = 0;
        for (int i = 0; i < nvec; i++) {
            n += mode == MODE_PONG ? count_lines(vec[i].iov_base, vec[i].iov_len)
                                   : count_requests(vec[i].iov_base, vec[i].iov_len, ctx);
            total += vec[i].iov_len;
        }
        evbuffer_drain(in, total);
    }
    send_replies(out, n);
}

static void on_event(struct bufferevent *bev, short what, void *ctx)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        free(ctx);
        bufferevent_free(bev);
    }
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *a, int alen,
                      void *arg)
{
    (void)a;
    (void)alen;
    (void)arg;
    struct event_base *base = evconnlistener_get_base(l);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    unsigned *state = mode == MODE_HTTP ? calloc(1, sizeof *state) : NULL;
    bufferevent_setcb(bev, on_read, NULL, on_event, state);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int main(int argc, char **argv)
{
    mode = bench_mode_from(argc > 1 ? argv[1] : NULL);
    if (mode == MODE_BAD || argc < 3) {
        fprintf(stderr, "usage: event_server pong|echo|http PORT\n");
        return 2;
    }
    replies_cap = fill_mode_replies(mode, replies, sizeof replies, &reply_len);
    struct event_base *base = event_base_new();
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct evconnlistener *l =
        evconnlistener_new_bind(base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                511, (struct sockaddr *)&addr, sizeof addr);
    if (!l) {
        perror("event_server: listen");
        return 1;
    }
    return event_base_dispatch(base);
}
