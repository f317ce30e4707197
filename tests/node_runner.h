/* Differential tests against Node.js: the tests write their inputs to a temporary file,
 * run one node process over all of them and compare what it prints with eddy.
 * Header-only (static functions) so that each test executable stays one .c file plus
 * helpers.c, as tests/meson.build builds them. */
#ifndef EDDY_TESTS_NODE_RUNNER_H
#define EDDY_TESTS_NODE_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A deterministic PRNG (xorshift64*): the generated inputs, and so any failure, are the
 * same on every run. */
static inline uint64_t node_rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline size_t node_rng_below(uint64_t *state, size_t n)
{
    return n ? (size_t)(node_rng_next(state) % n) : 0;
}

/* Why node cannot be used, or NULL when it can: it must be on PATH and not disabled with
 * EDDY_TEST_NO_NODE=1. (Under valgrind, tests/valgrind-wrap.sh keeps node untraced; a
 * plain --trace-children=yes run works too, only slower.) */
static inline const char *node_unavailable_reason(void)
{
    const char *no_node = getenv("EDDY_TEST_NO_NODE");
    if (no_node && *no_node && strcmp(no_node, "0") != 0) return "EDDY_TEST_NO_NODE is set";
    const char *path = getenv("PATH");
    if (!path) return "node is not on PATH";
    char dir[4096];
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && n < sizeof dir - 6) {
            memcpy(dir, path, n);
            memcpy(dir + n, "/node", 6);
            if (access(dir, X_OK) == 0) return NULL;
        }
        path += n;
        if (*path == ':') path++;
    }
    return "node is not on PATH";
}

static inline bool node_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* Runs `node script input` where script and input are written to a fresh temporary
 * directory (removed afterwards). Returns node's stdout (malloc'd, NUL-terminated, its
 * length in *out_len) or NULL when node could not be run or failed. */
static inline char *node_run(const char *script, const void *input, size_t input_len,
                             size_t *out_len)
{
    const char *tmp = getenv("TMPDIR");
    char dir[512], script_path[600], input_path[600], cmd[1400];
    char *out = NULL;
    size_t len = 0, cap = 0;
    bool failed = false;

    snprintf(dir, sizeof dir, "%s/eddy-node-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return NULL;
    snprintf(script_path, sizeof script_path, "%s/script.js", dir);
    snprintf(input_path, sizeof input_path, "%s/input", dir);
    if (node_write_file(script_path, script, strlen(script)) &&
        node_write_file(input_path, input, input_len)) {
        snprintf(cmd, sizeof cmd, "node '%s' '%s'", script_path, input_path);
        FILE *p = popen(cmd, "r");
        if (p) {
            for (;;) {
                if (cap - len < 65536) {
                    cap = cap ? cap * 2 : 1 << 20;
                    char *bigger = realloc(out, cap);
                    if (!bigger) {
                        failed = true;
                        break;
                    }
                    out = bigger;
                }
                size_t n = fread(out + len, 1, cap - len - 1, p);
                if (n == 0) break;
                len += n;
            }
            if (pclose(p) != 0 || failed || !out) {
                free(out);
                out = NULL;
            }
        }
    }
    unlink(script_path);
    unlink(input_path);
    rmdir(dir);
    if (out) {
        out[len] = '\0';
        *out_len = len;
    }
    return out;
}

#endif
