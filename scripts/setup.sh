#!/bin/sh
# Installs what eddy's build and tests need (Debian packages), then configures and builds
# into $BUILD (default: build). Extra arguments go to `meson setup`. With EDDY_TARGETS set
# (ninja target names, e.g. examples/echo-server) only those are built, and what only the
# tests need (Criterion, g++, nc, socat) is not installed.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}

need=""
command -v meson >/dev/null 2>&1 || need="$need meson"
command -v ninja >/dev/null 2>&1 || need="$need ninja-build"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"
if [ -z "${EDDY_TARGETS:-}" ]; then
    pkg-config --exists criterion 2>/dev/null || need="$need libcriterion-dev"
    # tests/exception_across_loop.cc: a C++ exception across the library's frames
    command -v c++ >/dev/null 2>&1 || need="$need g++"
fi
# The example tests talk to the examples with OpenBSD nc and socat (skipped without them).
case "${EDDY_TARGETS:+targets} $* " in
targets*|*" -Dexamples=disabled "*) ;;
*)
    command -v nc.openbsd >/dev/null 2>&1 || need="$need netcat-openbsd"
    command -v socat >/dev/null 2>&1 || need="$need socat"
    ;;
esac
if [ "${EDDY_VALGRIND:-0}" = 1 ]; then
    command -v valgrind >/dev/null 2>&1 || need="$need valgrind"
fi
if [ -n "$need" ]; then
    echo "setup: installing$need"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $need
fi

if [ -d "$BUILD" ] && [ -f "$BUILD/build.ninja" ]; then
    meson configure "$BUILD" "$@" >/dev/null
else
    meson setup "$BUILD" "$@"
fi
# shellcheck disable=SC2086
ninja -C "$BUILD" ${EDDY_TARGETS:-}
