#!/bin/sh
# Packaging as a user meets it: installs eddy (static and shared) into a temporary prefix,
# checks the shared library's SONAME and that it exports eddy_* symbols only, then builds
# and runs one small program against the installed copy through pkg-config, one through
# CMake's find_package(eddy CONFIG), and one that uses eddy as a meson subproject (which
# must build no tests or examples of eddy's own). Ends with "packaging: ok".
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/eddy-pkg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
command -v cmake >/dev/null 2>&1 || {
    echo "check-packaging: installing cmake"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends cmake
}

echo "-- install into $prefix"
meson setup "$tmp/build" --prefix="$prefix" --libdir=lib -Ddefault_library=both \
    -Dtests=disabled -Dexamples=disabled -Dbuildtype=release >/dev/null
ninja -C "$tmp/build" >/dev/null
meson install -C "$tmp/build" >/dev/null

version=$(meson introspect --projectinfo "$tmp/build" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
so=$(ls "$prefix"/lib/libeddy.so.*.*.* | head -n 1)
soname=$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\].*/\1/p')
echo "-- $so: SONAME $soname"
case $soname in libeddy.so.[0-9]*) ;; *) echo "no versioned SONAME"; exit 1 ;; esac
bad=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^eddy_[a-z]' || true)
if [ -n "$bad" ]; then
    echo "the shared library exports more than eddy_*:"; echo "$bad"; exit 1
fi
echo "-- exports: $(nm -D --defined-only "$so" | awk '{print $3}' | wc -l) symbols, all eddy_*"

cat >"$tmp/hello.c" <<'C'
#include <eddy.h>
#include <stdio.h>
#include <string.h>

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_server_close(ev->target, NULL, NULL);
}

int main(void)
{
    if (eddy_version() != EDDY_VERSION_HEX || strcmp(eddy_version_string(), EDDY_VERSION_STRING))
        return 1;
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    eddy_server_listen(s, 0, "127.0.0.1", on_listening, NULL);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    printf("eddy %s on %s\n", eddy_version_string(), eddy_loop_backend(loop));
    return eddy_loop_free(loop);
}
C

echo "-- pkg-config (shared, then static)"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/hello-pc" "$tmp/hello.c" $(pkg-config --cflags --libs eddy)
LD_LIBRARY_PATH="$prefix/lib" "$tmp/hello-pc"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/hello-pc-static" "$tmp/hello.c" \
    $(pkg-config --cflags eddy) "$prefix/lib/libeddy.a" $(pkg-config --libs-only-other --static eddy)
"$tmp/hello-pc-static"

echo "-- cmake find_package(eddy $version CONFIG)"
mkdir -p "$tmp/cmake-app"
cp "$tmp/hello.c" "$tmp/cmake-app/"
cat >"$tmp/cmake-app/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(hello C)
find_package(eddy $version CONFIG REQUIRED)
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE eddy::eddy)
CM
cmake -S "$tmp/cmake-app" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_RPATH="$prefix/lib" >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
"$tmp/cmake-build/hello"

echo "-- meson subproject"
mkdir -p "$tmp/meson-app/subprojects"
cp "$tmp/hello.c" "$tmp/meson-app/"
git -C "$src" ls-files -z -co --exclude-standard | (cd "$src" && xargs -0 tar cf -) | (mkdir -p "$tmp/meson-app/subprojects/eddy" && cd "$tmp/meson-app/subprojects/eddy" && tar xf -)
# werror off in the parent: eddy must not turn it on for the parent's own code, which has
# an unused variable on purpose.
cat >"$tmp/meson-app/meson.build" <<'MB'
project('hello', 'c', default_options : ['c_std=c11', 'warning_level=2', 'werror=false'])
executable('hello', 'hello.c', 'warns.c', dependencies : dependency('eddy'))
MB
printf 'int warns(void);\nint warns(void) { int unused; return 0; }\n' >"$tmp/meson-app/warns.c"
# the installed copy must not stand in for the subproject
PKG_CONFIG_PATH= meson setup "$tmp/meson-app/build" "$tmp/meson-app" --force-fallback-for=eddy >/dev/null
ninja -C "$tmp/meson-app/build" >/dev/null
"$tmp/meson-app/build/hello"
[ -d "$tmp/meson-app/build/subprojects/eddy" ] || { echo "eddy was not built as a subproject"; exit 1; }
if [ -n "$(find "$tmp/meson-app/build/subprojects/eddy" -name 'test_*' -o -name 'echo-server' | head -n 1)" ]; then
    echo "eddy built its tests or examples as a subproject"; exit 1
fi
echo "packaging: ok"
