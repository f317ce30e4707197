/* net.isIP, isIPv4 and isIPv6 as Node v20 has them (lib/internal/net.js), without a regex
 * engine: one left-to-right pass over the input.
 *
 * Node's grammar, which this file follows to the letter:
 *   IPv4Reg: four decimal parts 0..255 without leading zeros, nothing else.
 *   IPv6Reg: at most one "::", hex groups of 1..4 digits, an optional dotted IPv4 tail
 *            that counts as two groups, and an optional zone "%" [0-9A-Za-z.:-]+.
 *            Without "::" there are exactly 8 groups; with it at most 7, i.e. "::" always
 *            stands for at least one group ("1:2:3:4:5:6:7::8" is rejected).
 * The same pass gives the address's bytes, so the library parses its IP literals here
 * too (no inet_pton: one grammar for eddy_is_ip and for listen and connect). */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "eddy/net.h"
#include "net_internal.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A hex digit's value, or -1. */
static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    c = (char)(c | 0x20); /* lowercase; no other character lands on a..f */
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The characters of Node's zone class [0-9a-zA-Z-.:]. */
static bool is_zone_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == ':';
}

/* s[0..n) is exactly a dotted quad: its four bytes go to out. */
static bool ipv4_span(const char *s, size_t n, uint8_t *out)
{
    const char *end = s + n;

    for (int part = 0; part < 4; part++) {
        if (part > 0 && (s == end || *s++ != '.'))
            return false;
        const char *start = s;
        unsigned value = 0;
        while (s < end && is_digit(*s) && s - start < 3)
            value = value * 10 + (unsigned)(*s++ - '0');
        /* "01" is rejected: Node's parts have no leading zero, which also keeps octal-
         * looking input ("010.0.0.1") out. A fourth digit is left unread, so it fails the
         * '.' or end-of-input check that follows. */
        if (s == start || value > 255 || (s - start > 1 && *start == '0'))
            return false;
        out[part] = (uint8_t)value;
    }
    return s == end;
}

/* s[0..n) is an IPv6 address without zone: its sixteen bytes go to out. The groups are
 * written in the order read; those after the "::" then move to the end and the gap is
 * zeroed. */
static bool ipv6_span(const char *s, size_t n, uint8_t *out)
{
    const char *end = s + n;
    int groups = 0; /* explicit 16-bit groups; an IPv4 tail counts two */
    int gap = -1;   /* the number of groups before the "::" */

    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        s += 2;
    }
    while (s < end || gap < 0) {
        const char *start = s;
        unsigned value = 0;
        for (int d; s < end && (d = hex_value(*s)) >= 0; s++)
            value = (value << 4 | (unsigned)d) & 0xfffff; /* 5 digits fail below */
        if (s < end && *s == '.') {
            /* The digits just read begin an IPv4 tail, which must end the address. */
            if (groups > 6 || !ipv4_span(start, (size_t)(end - start), out + 2 * groups))
                return false;
            groups += 2;
            break;
        }
        if (s == start || s - start > 4 || groups == 8)
            return false;
        out[2 * groups] = (uint8_t)(value >> 8);
        out[2 * groups + 1] = (uint8_t)value;
        groups++;
        if (s == end)
            break;
        if (*s++ != ':')
            return false;
        if (s < end && *s == ':') {
            if (gap >= 0)
                return false;
            gap = groups;
            s++;
        } else if (s == end) {
            return false; /* a single trailing colon */
        }
    }
    if (gap < 0)
        return groups == 8;
    if (groups > 7)
        return false; /* "::" stands for one group at least */
    size_t after = 2 * (size_t)(groups - gap);
    memmove(out + 16 - after, out + 2 * gap, after);
    memset(out + 2 * gap, 0, 16 - 2 * (size_t)groups);
    return true;
}

int eddy__ip_parse(const char *host, uint8_t *bytes, const char **zone)
{
    *zone = NULL;
    if (!host)
        return 0;
    size_t n = strlen(host);
    if (ipv4_span(host, n, bytes))
        return 4;
    /* The address itself has no '%', so the first one starts the zone. */
    const char *z = strchr(host, '%');
    if (z) {
        if (z[1] == '\0')
            return 0; /* Node requires at least one zone character */
        for (const char *c = z + 1; *c; c++) {
            if (!is_zone_char(*c))
                return 0;
        }
        n = (size_t)(z - host);
        *zone = z + 1;
    }
    return ipv6_span(host, n, bytes) ? 6 : 0;
}

int eddy__ip_family(const char *host)
{
    uint8_t bytes[16];
    const char *zone;
    return eddy__ip_parse(host, bytes, &zone);
}

#ifndef EDDY_NO_ISIP
int eddy_is_ip(const char *input)
{
    return eddy__ip_family(input);
}

bool eddy_is_ipv4(const char *input)
{
    return eddy_is_ip(input) == 4;
}

bool eddy_is_ipv6(const char *input)
{
    return eddy_is_ip(input) == 6;
}
#else /* EDDY_NO_ISIP: the parser stays, for the library's own literals */
int eddy_is_ip(const char *input)
{
    (void)input;
    return -ENOSYS;
}

bool eddy_is_ipv4(const char *input)
{
    (void)input;
    return false;
}

bool eddy_is_ipv6(const char *input)
{
    (void)input;
    return false;
}
#endif
