/* The version of the library as built (eddy/version.h, checked against meson.build). */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "eddy/common.h"

unsigned eddy_version(void)
{
    return EDDY_VERSION_HEX;
}

const char *eddy_version_string(void)
{
    return EDDY_VERSION_STRING;
}
