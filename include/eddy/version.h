/* eddy: its version. The version is meson's project version (meson.build), defined there
 * once; this file is committed so that a build without meson finds it, and meson checks at
 * setup that it says the same (include/eddy/meson.build): a release changes both. */
#ifndef EDDY_VERSION_H
#define EDDY_VERSION_H

#define EDDY_VERSION_MAJOR 0
#define EDDY_VERSION_MINOR 1
#define EDDY_VERSION_PATCH 0
#define EDDY_VERSION_STRING "0.1.0"
/* 0xMMmmpp: one number to compare, e.g. #if EDDY_VERSION_HEX >= 0x000200 */
#define EDDY_VERSION_HEX ((EDDY_VERSION_MAJOR << 16) | (EDDY_VERSION_MINOR << 8) | EDDY_VERSION_PATCH)

#endif
