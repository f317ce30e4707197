/* The three protocols every benchmark server speaks, as pure functions on the bytes a
 * read returned, so that each server (eddy, libuv, libevent, epoll) does the same work:
 *
 *   pong  one "+PONG\r\n" per received line (redis-benchmark PING_INLINE, pipelined or not)
 *   echo  the received bytes, back
 *   http  one fixed HTTP/1.1 keep-alive response per request (a request ends at an empty
 *         line; requests carry no body, as wrk sends them)
 *
 * Node's server (peers/node_server.js) implements the same rules in JavaScript. */
#ifndef BENCH_PROTOCOL_H
#define BENCH_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PONG_REPLY "+PONG\r\n"
#define PONG_LEN 7
#define HTTP_REPLY                                                                            \
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"                   \
    "Connection: keep-alive\r\n\r\nHello, World!"
#define HTTP_LEN (sizeof HTTP_REPLY - 1)

enum bench_mode { MODE_PONG, MODE_ECHO, MODE_HTTP, MODE_BAD };

static inline enum bench_mode bench_mode_from(const char *s)
{
    if (!s)
        return MODE_BAD;
    if (strcmp(s, "pong") == 0)
        return MODE_PONG;
    if (strcmp(s, "echo") == 0)
        return MODE_ECHO;
    if (strcmp(s, "http") == 0)
        return MODE_HTTP;
    return MODE_BAD;
}

/* Newlines in the bytes: the number of PING lines completed. */
static inline size_t count_lines(const char *p, size_t len)
{
    size_t n = 0;
    const char *end = p + len;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* Requests completed by these bytes; *state carries how much of "\r\n\r\n" matched at
 * the end of the previous read (0..3), so a terminator split across reads counts. */
static inline size_t count_requests(const char *p, size_t len, unsigned *state)
{
    static const char term[4] = {'\r', '\n', '\r', '\n'};
    size_t n = 0;
    unsigned st = *state;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == term[st]) {
            if (++st == 4) {
                n++;
                st = 0;
            }
        } else {
            st = c == '\r' ? 1 : 0;
        }
    }
    *state = st;
    return n;
}

/* Fills buf (cap bytes) with up to n copies of reply (len bytes); returns the copies. */
static inline size_t fill_replies(char *buf, size_t cap, const char *reply, size_t len, size_t n)
{
    size_t k = cap / len < n ? cap / len : n;
    for (size_t i = 0; i < k; i++)
        memcpy(buf + i * len, reply, len);
    return k;
}

/* The reply of a mode, copied into buf as many times as fit (one write answers that many
 * requests); *reply_len is its length, 0 for echo (which replies with what it read). */
static inline size_t fill_mode_replies(enum bench_mode mode, char *buf, size_t cap,
                                       size_t *reply_len)
{
    *reply_len = mode == MODE_PONG ? PONG_LEN : mode == MODE_HTTP ? HTTP_LEN : 0;
    if (*reply_len == 0)
        return 0;
    return fill_replies(buf, cap, mode == MODE_PONG ? PONG_REPLY : HTTP_REPLY, *reply_len,
                        SIZE_MAX);
}

#endif
