/* Shared by the tests: loop running with a time limit, and small utilities. */
#ifndef EDDY_TESTS_HELPERS_H
#define EDDY_TESTS_HELPERS_H

#include <stdbool.h>
#include <stdint.h>

#include "eddy.h"

/* Runs the loop (DEFAULT) but stops it after limit_ms, whatever is alive. Returns true
 * when the loop ended by itself before the limit. */
bool run_loop_for(eddy_loop *loop, uint64_t limit_ms);

/* The monotonic clock in ns, read directly (not the loop's cached time). */
uint64_t mono_ns(void);

#endif
