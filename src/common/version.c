/* The version of the library as built (eddy/version.h is generated from meson.build). */
#include "eddy/common.h"

unsigned eddy_version(void)
{
    return EDDY_VERSION_HEX;
}

const char *eddy_version_string(void)
{
    return EDDY_VERSION_STRING;
}
