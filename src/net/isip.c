/* net.isIP, isIPv4 and isIPv6 as Node v20 has them (lib/internal/net.js), without a regex
 * engine: one left-to-right pass over the input.
 *
 * Node's grammar, which this file follows to the letter:
 *   IPv4Reg: four decimal parts 0..255 without leading zeros, nothing else.
 *   IPv6Reg: at most one "::", hex groups of 1..4 digits, an optional dotted IPv4 tail
 *            that counts as two groups, and an optional zone "%" [0-9A-Za-z.:-]+.
 *            Without "::" there are exactly 8 groups; with it at most 7, i.e. "::" always
 *            stands for at least one group ("1:2:3:4:5:6:7::8" is rejected). */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "eddy/net.h"

#ifndef EDDY_NO_ISIP
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex_digit(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The characters of Node's zone class [0-9a-zA-Z-.:]. */
static bool is_zone_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == ':';
}

/* s[0..n) is exactly a dotted quad. */
static bool ipv4_span(const char *s, size_t n)
{
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        size_t start = i;
        unsigned value = 0;
        while (i < n && is_digit(s[i]) && i - start < 3) {
            value = value * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        size_t digits = i - start;
        /* "01" is rejected: Node's parts have no leading zero, which also keeps octal-
         * looking input ("010.0.0.1") out. A fourth digit is left unread, so it fails the
         * '.' or end-of-input check that follows. */
        if (digits == 0 || value > 255 || (digits > 1 && s[start] == '0'))
            return false;
    }
    return i == n;
}

/* s[0..n) is an IPv6 address without zone. */
static bool ipv6_span(const char *s, size_t n)
{
    size_t i = 0;
    int groups = 0; /* explicit 16-bit groups; an IPv4 tail counts two */
    bool compressed = false;

    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        compressed = true;
        i = 2;
        if (i == n)
            return true; /* "::" */
    }
    for (;;) {
        size_t start = i;
        while (i < n && is_hex_digit(s[i]))
            i++;
        if (i < n && s[i] == '.') {
            /* The digits just read begin an IPv4 tail, which must end the address. */
            if (!ipv4_span(s + start, n - start))
                return false;
            groups += 2;
            break;
        }
        size_t digits = i - start;
        if (digits == 0 || digits > 4)
            return false;
        groups++;
        if (groups > 8)
            return false;
        if (i == n)
            break;
        if (s[i] != ':')
            return false;
        i++;
        if (i < n && s[i] == ':') {
            if (compressed)
                return false;
            compressed = true;
            i++;
            if (i == n)
                break; /* "1::" */
        } else if (i == n) {
            return false; /* a single trailing colon */
        }
    }
    return compressed ? groups <= 7 : groups == 8;
}

bool eddy_is_ipv4(const char *input)
{
    return input && ipv4_span(input, strlen(input));
}

bool eddy_is_ipv6(const char *input)
{
    if (!input)
        return false;
    /* The address itself has no '%', so the first one starts the zone. */
    const char *zone = strchr(input, '%');
    if (!zone)
        return ipv6_span(input, strlen(input));
    if (zone[1] == '\0')
        return false; /* Node requires at least one zone character */
    for (const char *z = zone + 1; *z; z++) {
        if (!is_zone_char(*z))
            return false;
    }
    return ipv6_span(input, (size_t)(zone - input));
}

int eddy_is_ip(const char *input)
{
    if (eddy_is_ipv4(input))
        return 4;
    if (eddy_is_ipv6(input))
        return 6;
    return 0;
}
#else /* EDDY_NO_ISIP */
#include <arpa/inet.h>
#include <errno.h>

#include "net_internal.h"

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

/* inet_pton's view of a literal (a '%' starts an IPv6 zone id, as in Node). inet_pton
 * accepts nothing Node rejects; what it refuses that Node takes (nothing for IPv4 on
 * glibc and musl) is then treated as a name. */
int eddy__ip_family(const char *host)
{
    unsigned char addr[16];
    char buf[64];
    if (!host)
        return 0;
    if (inet_pton(AF_INET, host, addr) == 1)
        return 4;
    const char *zone = strchr(host, '%');
    size_t n = zone ? (size_t)(zone - host) : strlen(host);
    if (n >= sizeof buf || (zone && zone[1] == '\0'))
        return 0;
    memcpy(buf, host, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, addr) == 1 ? 6 : 0;
}
#endif
