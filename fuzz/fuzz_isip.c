/* libFuzzer target for eddy_is_ip, eddy_is_ipv4 and eddy_is_ipv6.
 *
 * The oracle is Node's own grammar: the regular expressions of lib/internal/net.js,
 * rebuilt here as POSIX extended regexes (glibc's regcomp). Anchored at both ends, a regex
 * accepts the same strings whatever the engine's matching strategy, so JavaScript's and
 * POSIX's semantics agree. The regex library is used by this harness only; eddy itself
 * parses by hand. */
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define V4SEG "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
#define V4STR "(" V4SEG "\\.){3}" V4SEG
#define V6SEG "([0-9a-fA-F]{1,4})"

static const char ipv4_pattern[] = "^" V4STR "$";

static const char ipv6_pattern[] =
    "^("
    "(" V6SEG ":){7}(" V6SEG "|:)|"
    "(" V6SEG ":){6}(" V4STR "|:" V6SEG "|:)|"
    "(" V6SEG ":){5}(:" V4STR "|(:" V6SEG "){1,2}|:)|"
    "(" V6SEG ":){4}((:" V6SEG "){0,1}:" V4STR "|(:" V6SEG "){1,3}|:)|"
    "(" V6SEG ":){3}((:" V6SEG "){0,2}:" V4STR "|(:" V6SEG "){1,4}|:)|"
    "(" V6SEG ":){2}((:" V6SEG "){0,3}:" V4STR "|(:" V6SEG "){1,5}|:)|"
    "(" V6SEG ":){1}((:" V6SEG "){0,4}:" V4STR "|(:" V6SEG "){1,6}|:)|"
    "(:((:" V6SEG "){0,5}:" V4STR "|(:" V6SEG "){1,7}|:))"
    ")(%[0-9a-zA-Z.:-]{1,})?$";

/* Compiled once; libFuzzer runs the target in one thread. */
static regex_t ipv4_re, ipv6_re;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (regcomp(&ipv4_re, ipv4_pattern, REG_EXTENDED | REG_NOSUB) != 0 ||
        regcomp(&ipv6_re, ipv6_pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "fuzz_isip: the oracle regexes do not compile\n");
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The functions take C strings: an embedded NUL ends the input, as it would for a
     * caller. */
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    int family = eddy_is_ip(s);
    bool v4 = eddy_is_ipv4(s);
    bool v6 = eddy_is_ipv6(s);
    if (family != (v4 ? 4 : v6 ? 6 : 0)) abort();

    bool want_v4 = regexec(&ipv4_re, s, 0, NULL, 0) == 0;
    bool want_v6 = regexec(&ipv6_re, s, 0, NULL, 0) == 0;
    if (v4 != want_v4 || v6 != want_v6) {
        fprintf(stderr, "\"%s\": eddy v4=%d v6=%d, Node's regexes v4=%d v6=%d\n", s, v4, v6,
                want_v4, want_v6);
        abort();
    }
    free(s);
    return 0;
}
