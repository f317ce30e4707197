/* Socket addresses (parsing IP literals into sockaddrs and formatting them back), and
 * the small pieces that servers and sockets share. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <stdint.h>

#include "common/fd.h"
#include "common/text.h"
#include "net_internal.h"

/* A zone id: its number ("fe80::1%2"), or the index of the interface it names ("%eth0"),
 * 0 when there is none. Digits by hand, not strtoul: a static program would carry libc's
 * whole integer scanner for this one call (2 KB on musl). A number too big for an index
 * saturates (no interface has it: the connect fails as for any unknown zone). */
static uint32_t zone_index(const char *zone)
{
    uint64_t id = 0;
    for (const char *p = zone; *p; p++) {
        if (*p < '0' || *p > '9') {
#ifdef EDDY_NO_RESOLVER
            return 0; /* names are not looked up: an unknown zone */
#else
            return if_nametoindex(zone); /* a name such as eth0 */
#endif
        }
        id = id * 10 + (uint64_t)(*p - '0');
        if (id > UINT32_MAX)
            id = UINT32_MAX;
    }
    return (uint32_t)id;
}

int eddy__sockaddr_from_host(eddy__sockaddr *out, socklen_t *len, const char *host, int port,
                             bool any_for_null, bool prefer_ipv6)
{
    if (port < 0 || port > 65535)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    if (!host || !*host) {
        if (!any_for_null)
            return -EINVAL;
        host = prefer_ipv6 ? "::" : "0.0.0.0";
    }
    uint8_t bytes[16];
    const char *zone;
    int family = eddy__ip_parse(host, bytes, &zone);
    if (family == 4) {
        out->in4.sin_family = AF_INET;
        out->in4.sin_port = htons((uint16_t)port);
        memcpy(&out->in4.sin_addr, bytes, 4);
        *len = sizeof out->in4;
        return 0;
    }
    if (family == 6) {
        out->in6.sin6_family = AF_INET6;
        out->in6.sin6_port = htons((uint16_t)port);
        memcpy(&out->in6.sin6_addr, bytes, 16);
        if (zone)
            out->in6.sin6_scope_id = zone_index(zone);
        *len = sizeof out->in6;
        return 0;
    }
    return -EINVAL;
}

/* ---- formatting: IP addresses as Node prints them, without inet_ntop --------------
 * musl's inet_ntop formats with snprintf, so a static firmware build that printed an
 * address carried the whole printf engine (about 13 KB with its strerror table for %m).
 * The forms are those of libuv's and glibc's formatter, so Node's and today's strings
 * do not change: IPv4 dotted decimal; IPv6 in lowercase hex groups without leading
 * zeros, the first longest run of two or more zero groups as "::", and the last 32 bits
 * in dotted form for the IPv4-mapped ("::ffff:1.2.3.4") and IPv4-compatible
 * ("::1.2.3.4", six zero groups first) addresses. */

/* Each writes at p (room for INET6_ADDRSTRLEN) and returns the end, unterminated. */
static char *put_ipv4(char *p, const uint8_t *b)
{
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (i)
            *p++ = '.';
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
    }
    return p;
}

static char *put_ipv6(char *p, const uint8_t *b)
{
    unsigned w[8];
    int run = -1, run_len = 1; /* the first longest run of zero groups (two or more) */
    for (int i = 0, cur = 0; i < 8; i++) {
        w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
        cur = w[i] ? 0 : cur + 1;
        if (cur > run_len) {
            run_len = cur;
            run = i + 1 - cur;
        }
    }
    for (int i = 0; i < 8; i++) {
        if (i == run) {
            *p++ = ':';
            *p++ = ':';
            i += run_len - 1;
            continue;
        }
        if (i && i != run + run_len)
            *p++ = ':';
        if (i == 6 && run == 0 && (run_len == 6 || (run_len == 5 && w[5] == 0xffff)))
            return put_ipv4(p, b + 12);
        int shift = 12;
        while (shift > 0 && !(w[i] >> shift))
            shift -= 4;
        for (; shift >= 0; shift -= 4)
            *p++ = "0123456789abcdef"[(w[i] >> shift) & 15];
    }
    return p;
}

int eddy__sockaddr_from_path(eddy__sockaddr *out, socklen_t *len, const char *path)
{
#ifdef EDDY_NO_UNIX
    (void)out, (void)len, (void)path;
    return -ENOSYS; /* every UNIX-socket call fails with this */
#endif
    if (!path || !*path)
        return -EINVAL;
    size_t n = strlen(path);
    memset(out, 0, sizeof *out);
    if (n >= sizeof out->un.sun_path)
        return -ENAMETOOLONG;
    out->un.sun_family = AF_UNIX;
    memcpy(out->un.sun_path, path, n + 1);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

void eddy__address_from_sockaddr(eddy_address *out, const eddy__sockaddr *sa, socklen_t len)
{
    (void)len; /* a UNIX socket's; unused without them (EDDY_NO_UNIX) */
    memset(out, 0, sizeof *out);
    switch (sa->sa.sa_family) {
    case AF_INET:
        strcpy(out->family, "IPv4");
        *put_ipv4(out->address, (const uint8_t *)&sa->in4.sin_addr) = '\0';
        out->port = ntohs(sa->in4.sin_port);
        break;
    case AF_INET6:
        strcpy(out->family, "IPv6");
        char *end = put_ipv6(out->address, sa->in6.sin6_addr.s6_addr);
        *end = '\0';
        out->port = ntohs(sa->in6.sin6_port);
        if (sa->in6.sin6_scope_id) {
            /* Node's form of a link-local address: "fe80::1%eth0" (the zone's number
             * when the interface has no name). */
            size_t n = (size_t)(end - out->address);
            eddy__text t = {end, sizeof out->address - n, 0};
            eddy__text_str(&t, "%");
#ifndef EDDY_NO_RESOLVER /* without it, no interface name is looked up: the number */
            char name[IF_NAMESIZE];
            if (if_indextoname(sa->in6.sin6_scope_id, name)) {
                eddy__text_str(&t, name);
                break;
            }
#endif
            eddy__text_uint(&t, sa->in6.sin6_scope_id);
        }
        break;
#ifndef EDDY_NO_UNIX
    case AF_UNIX: {
        strcpy(out->family, "unix");
        size_t off = offsetof(struct sockaddr_un, sun_path);
        if (len > off) {
            size_t n = strnlen(sa->un.sun_path, (size_t)len - off);
            if (n >= sizeof out->address)
                n = sizeof out->address - 1;
            memcpy(out->address, sa->un.sun_path, n);
        }
        break;
    }
#endif
    default:
        break;
    }
}

int eddy__fd_prepare(int fd)
{
    int err = eddy__fd_set_nonblock_cloexec(fd);
    if (err < 0)
        return err;
    err = eddy__sys_nosigpipe(fd);
    return err == -ENOTSOCK ? 0 : err; /* a pipe or a tty: no socket option to set */
}

void eddy_loop_on_diagnostic(eddy_loop *loop, eddy_diagnostic_fn fn, void *ctx)
{
    if (!loop)
        return;
    loop->diag_fn = fn;
    loop->diag_ctx = fn ? ctx : NULL;
}

bool eddy__diagnostic_to_hook(const eddy_loop *loop, const eddy_diagnostic *d, const char *what)
{
    eddy_diagnostic mine = *d;
    char buf[256];
    if (d->kind == EDDY_DIAG_UNHANDLED_ERROR) {
        eddy_listener fn;
        void *ctx;
        eddy__loop_uncaught(loop, &fn, &ctx);
        if (fn) {
            fn(d->event, ctx);
            return true;
        }
        /* The line names the kind of object, not just "event". */
        const eddy_event *ev = d->event;
        eddy__text t;
        eddy__text_init(&t, buf, sizeof buf);
        eddy__text_unhandled(&t, what, ev->u.error.code, ev->u.error.syscall);
        mine.text = buf;
    }
    if (loop->diag_fn)
        loop->diag_fn(&mine, loop->diag_ctx);
    else
        eddy_diagnostic_print(&mine);
    return d->kind != EDDY_DIAG_UNHANDLED_ERROR;
}
