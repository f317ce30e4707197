#!/bin/sh
# The size of eddy, full and minimal (-Dminimal=true: every switch of include/eddy/config.h),
# as bench/harness.py measures it: meson -Dbuildtype=minsize -Ddebug=false -Db_ndebug=true,
# then text + data of every object of libeddy.a (`size -t`), for x86_64 (gcc), aarch64
# (gcc-aarch64-linux-gnu) and armhf Thumb-2 (gcc-arm-linux-gnueabihf -mthumb); a stripped
# static echo server (examples/echo-server.c) on musl (musl-gcc, x86_64); and libev, libuv
# and libevent_core built the same way (-Os -DNDEBUG, their own build systems, from
# Debian's source packages via `apt-get source`, which needs a deb-src line). Prints a
# markdown table (README.md's "Size" section is its output).
#
#   scripts/size-table.sh           the whole table (a few minutes: builds the peers 3 times)
#   scripts/size-table.sh --switches  x86_64 only: what each switch of include/eddy/config.h
#                                   takes off the full build on its own (one build each,
#                                   a few minutes; README.md's "What each switch saves")
#   scripts/size-table.sh --check   x86_64 only, eddy only: fails when full or minimal is
#                                   above its ceiling, when the bss of either (the library's
#                                   process-wide memory) is above BSS_MAX, or when the
#                                   library's objects (full or minimal) reference a
#                                   printf-family or stdio symbol, or when the static musl
#                                   echo_nostdio is above MUSL_ECHO_MAX (CI; under a minute)
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build-size}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
MODE=${1:-table}

# Ceilings for --check, in bytes of text + data on x86_64. The targets of issue 13 are
# 40 KiB (full) and 16 KiB (minimal); the ceilings are the figures of today (README.md,
# "Size"), so that nothing grows unnoticed while the targets are not met yet. Raised once,
# at the merge of the old-kernel fallbacks and the loop options (full 56.6 -> 58.1 KiB,
# minimal 34.7 -> 36.3 KiB): lower them as the library shrinks, never raise them silently.
# Lowered with the switches EDDY_NO_USER_RESOLVER, _ONREAD, _PIPE_TTY and _CORK (minimal
# 36.3 -> 32.6 KiB; full 58.2 KiB), and with EDDY_NO_USER_EVENTS (minimal 31.8 KiB; full
# 58.6 KiB after the idle-memory work: -ENOMEM paths of set_encoding/set_keep_alive).
# The library's own IP formatter (src/net/address.c: +0.4 KiB instead of inet_ntop, which
# on musl formats with snprintf: a static program that never prints lost 16 KB) was paid
# for by the emitter (one body for eddy_on and its three siblings). Lowered with
# EDDY_NO_SIGNALS (minimal 32,427 -> 30,419 B: signal.c is stubs; full unchanged, 60,056 B),
# and with EDDY_NO_CONNECT (minimal 26,612 B: connect.c is stubs; full unchanged). Lowered
# when the emitter's built-in names were packed into one string (full 59,781 B, minimal
# 26,494 B).
FULL_MAX=${FULL_MAX:-60000}    # 58.6 KiB; target 40960
MINIMAL_MAX=${MINIMAL_MAX:-27000} # 26.4 KiB; target 16384
# The static memory of libeddy.a (bss, both builds): firmware RAM. 72 bytes today in the
# full build (the signal registry: a mutex, a spinlock, two list heads), none in the
# minimal one (EDDY_NO_SIGNALS); it was 10 KiB while every possible signal had a saved
# sigaction.
BSS_MAX=${BSS_MAX:-256}
# The stripped static musl build of tests/firmware/echo_nostdio.c (-DEDDY_MINIMAL, the
# flags of musl_echo_server): the target of issue 13 is 40 KB, read as 40,000 bytes. It
# was 42,160 B before the library stopped calling realloc, inet_pton, fcntl and (without
# the resolver) if_nametoindex/if_indextoname: 38,064 B. The file grows in 4 KiB steps
# (the data segment is page-aligned), so a few bytes can cost a page.
MUSL_ECHO_MAX=${MUSL_ECHO_MAX:-40000}

NICE="nice -n 10"

text_data() { # size -t's last line: text + data of every object ("–" when unreadable)
    "$1" -t "$2" 2>/dev/null | tail -n 1 | awk '{print $1 + $2; ok = 1} END {if (!ok) print "–"}'
}

cross_file() { # arch -> a meson cross file
    f="$BUILD/cross-$1.txt"
    case $1 in
    aarch64) c="'aarch64-linux-gnu-gcc'" prefix=aarch64-linux-gnu cpu=aarch64 ;;
    armhf) c="['arm-linux-gnueabihf-gcc', '-mthumb']" prefix=arm-linux-gnueabihf cpu=arm ;;
    esac
    cat >"$f" <<EOF
[binaries]
c = $c
ar = '$prefix-ar'
strip = '$prefix-strip'
[host_machine]
system = 'linux'
cpu_family = '$cpu'
cpu = '$cpu'
endian = 'little'
EOF
    echo "$f"
}

tool_prefix() {
    case $1 in
    x86_64) echo "" ;;
    aarch64) echo "aarch64-linux-gnu-" ;;
    armhf) echo "arm-linux-gnueabihf-" ;;
    esac
}

# eddy ARCH VARIANT [meson options...] -> text+data of libeddy.a (or "–")
eddy_size() {
    arch=$1 variant=$2
    shift 2
    dir="$BUILD/eddy-$arch-$variant"
    cross=""
    if [ "$arch" != x86_64 ]; then
        command -v "$(tool_prefix "$arch")gcc" >/dev/null 2>&1 || {
            echo "–"
            return
        }
        cross="--cross-file=$(cross_file "$arch")"
    fi
    if [ ! -f "$dir/build.ninja" ]; then
        # shellcheck disable=SC2086
        $NICE meson setup "$dir" $cross -Dbuildtype=minsize -Ddebug=false -Db_ndebug=true \
            -Dtests=disabled -Dexamples=disabled -Dbench=disabled "$@" >"$dir.log" 2>&1 || {
            echo "–"
            return
        }
    fi
    $NICE ninja -C "$dir" -j2 libeddy.a >>"$dir.log" 2>&1 || {
        echo "–"
        return
    }
    text_data "$(tool_prefix "$arch")size" "$dir/libeddy.a"
}

# The printf family and the stdio streams: none of them may appear in nm -u. Nor
# inet_ntop, which formats with snprintf on musl (src/net/address.c formats by hand), nor
# what the library does itself so that a static program need not carry libc's: inet_pton
# (isip.c parses), realloc (alloc.c grows by malloc, copy, free), fcntl (fd.c: ioctl).
stdio_symbols() {
    nm -u "$1" | awk 'NF {print $NF}' |
        grep -E '^(_?_?[a-z]*printf[a-z_]*|puts|fputs|fputc|putc|putchar|fwrite|perror|stderr|stdout|fflush|inet_ntop|inet_pton|realloc|fcntl(64)?)$' |
        sort -u | tr '\n' ' '
}

bss() { # size -t's last line: bss of every object
    size -t "$1" 2>/dev/null | tail -n 1 | awk '{print $3; ok = 1} END {if (!ok) print "–"}'
}

kib() { awk -v b="$1" 'BEGIN { if (b == "–") print "–"; else printf "%d (%.1f KiB)", b, b / 1024 }'; }

musl_echo_server() { # [program.c] -> stripped size in bytes of it, static minimal on musl
    app=${1:-examples/echo-server.c}
    command -v musl-gcc >/dev/null 2>&1 || {
        echo "–"
        return
    }
    out="$BUILD/$(basename "$app" .c)-minimal-musl"
    # The library's flags (the minimal build's) and the usual ones for a small static
    # binary: every function in its section, the unused ones dropped by the linker, no
    # page-aligned gap between code and read-only data. The example's own stdio (printf)
    # and musl's malloc are in the figure.
    $NICE musl-gcc -static -std=c11 -Os -DNDEBUG -DEDDY_MINIMAL -fno-unwind-tables \
        -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections -Wl,--gc-sections \
        -Wl,-z,noseparate-code -Iinclude -Isrc src/*/*.c "$app" -o "$out" >"$out.log" 2>&1 || {
        echo "–"
        return
    }
    strip "$out"
    wc -c <"$out" | tr -d ' '
}

if [ "$MODE" = --check ]; then
    full=$(eddy_size x86_64 full)
    minimal=$(eddy_size x86_64 minimal -Dminimal=true)
    passed=0 failed=0
    check() { # what value max target
        if [ "$2" != "–" ] && [ "$2" -le "$3" ]; then
            echo "ok   $1: $(kib "$2") <= $(kib "$3") (target $(kib "$4"))"
            passed=$((passed + 1))
        else
            echo "FAIL $1: $(kib "$2") above $(kib "$3")"
            failed=$((failed + 1))
        fi
    }
    check "full, x86_64, text+data" "$full" "$FULL_MAX" 40960
    check "minimal, x86_64, text+data" "$minimal" "$MINIMAL_MAX" 16384
    for v in full minimal; do
        b=$(bss "$BUILD/eddy-x86_64-$v/libeddy.a")
        if [ "$b" != "–" ] && [ "$b" -le "$BSS_MAX" ]; then
            echo "ok   $v: bss $b bytes <= $BSS_MAX"
            passed=$((passed + 1))
        else
            echo "FAIL $v: bss $b bytes above $BSS_MAX"
            failed=$((failed + 1))
        fi
        bad=$(stdio_symbols "$BUILD/eddy-x86_64-$v/libeddy.a")
        if [ -z "$bad" ]; then
            echo "ok   $v: no printf-family, stdio, inet_pton, realloc or fcntl symbol (nm -u libeddy.a)"
            passed=$((passed + 1))
        else
            echo "FAIL $v: libeddy.a references $bad"
            failed=$((failed + 1))
        fi
    done
    # The firmware echo server as a static musl program (issue 13's program target).
    # musl-gcc comes from musl-tools (scripts/cross-linux.sh installs it, before this
    # stage in CI); without it the check fails rather than pass unmeasured.
    command -v musl-gcc >/dev/null 2>&1 || echo "     (musl-gcc missing: apt-get install musl-tools)"
    echo_size=$(musl_echo_server tests/firmware/echo_nostdio.c)
    check "echo_nostdio, minimal, musl static, stripped" "$echo_size" "$MUSL_ECHO_MAX" 40000
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
fi

# What each switch saves on its own: the full build with that one meson option, against the
# full build (x86_64). A switch that implies another (no_connect: no_user_resolver; no_unix:
# no_fd_passing) is measured with what it implies, as a user gets it. The last row is the
# sum of the rows against what EDDY_MINIMAL saves, which also drops the unwind tables and
# is less than the sum where switches overlap.
if [ "$MODE" = --switches ]; then
    full=$(eddy_size x86_64 full)
    echo "| switch (meson option) | what goes | bytes saved (x86_64, -Os) |"
    echo "|---|---|---|"
    sum=0
    options=$(sed -n "s/^option('\(no_[a-z_]*\)'.*/\1/p" meson_options.txt)
    for o in $options; do
        what=$(awk -v o="$o" '
            index($0, "option(\x27" o "\x27") == 1 { on = 1 }
            on && match($0, /description: \x27[^\x27]*\x27/) {
                d = substr($0, RSTART + 14, RLENGTH - 15); sub(/^[A-Z_]*: /, "", d); print d; exit
            }' meson_options.txt)
        macro=$(echo "EDDY_$o" | tr '[:lower:]' '[:upper:]')
        size=$(eddy_size x86_64 "full-$o" "-D$o=true")
        if [ "$size" = "–" ] || [ "$full" = "–" ]; then
            saved="–"
        else
            saved=$((full - size))
            sum=$((sum + saved))
        fi
        echo "| \`$macro\` (\`-D$o=true\`) | $what | $saved |"
    done
    minimal=$(eddy_size x86_64 minimal -Dminimal=true)
    all="–"
    [ "$full" = "–" ] || [ "$minimal" = "–" ] || all=$((full - minimal))
    echo "| sum of the rows; \`EDDY_MINIMAL\` saves | | $sum; $all ($full -> $minimal) |"
    exit
fi

# ---- the peers, from Debian's source packages ----

peer_sources() { # unpacks libev, libuv1, libevent into $BUILD/peers-src; false without deb-src
    src="$BUILD/peers-src"
    mkdir -p "$src"
    for pkg in libev libuv1 libevent; do
        if ! ls "$src"/${pkg}_*.orig.tar.gz >/dev/null 2>&1; then
            (cd "$src" && apt-get source --download-only "$pkg" >/dev/null 2>&1) || return 1
        fi
    done
    for t in "$src"/*.orig.tar.gz; do
        d="$src/$(basename "$t" .orig.tar.gz)"
        if [ ! -d "$d" ]; then
            mkdir -p "$d"
            tar -xzf "$t" -C "$d" --strip-components=1
        fi
    done
}

# peer NAME ARCH -> text+data of its static library built at -Os -DNDEBUG
peer_size() {
    name=$1 arch=$2
    p=$(tool_prefix "$arch")
    command -v "${p}gcc" >/dev/null 2>&1 || {
        echo "–"
        return
    }
    cflags="-Os -DNDEBUG"
    [ "$arch" = armhf ] && cflags="$cflags -mthumb"
    out="$BUILD/peer-$name-$arch"
    src=$(ls -d "$BUILD"/peers-src/"$name"_*/ 2>/dev/null | head -n 1)
    [ -n "$src" ] || {
        echo "–"
        return
    }
    cmake_cross=""
    [ "$arch" != x86_64 ] && cmake_cross="-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_C_COMPILER=${p}gcc"
    case $name in
    libuv1 | libevent)
        target=uv_a
        lib=libuv_a.a
        extra="-DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF"
        if [ "$name" = libevent ]; then
            target=event_core_static
            lib=lib/libevent_core.a
            extra="-DEVENT__DISABLE_OPENSSL=ON -DEVENT__DISABLE_MBEDTLS=ON -DEVENT__DISABLE_TESTS=ON \
                   -DEVENT__DISABLE_SAMPLES=ON -DEVENT__DISABLE_BENCHMARK=ON \
                   -DEVENT__DISABLE_REGRESS=ON -DEVENT__LIBRARY_TYPE=STATIC"
        fi
        if [ ! -f "$out/$lib" ]; then
            # shellcheck disable=SC2086
            { $NICE cmake -S "$src" -B "$out" -DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS="$cflags" \
                $cmake_cross $extra && $NICE cmake --build "$out" --target "$target" -j 2; } \
                >"$out.log" 2>&1 || {
                echo "–"
                return
            }
        fi
        text_data "${p}size" "$out/$lib"
        ;;
    libev)
        if [ ! -f "$out/.libs/libev.a" ]; then
            rm -rf "$out"
            cp -r "$src" "$out"
            host=""
            [ "$arch" != x86_64 ] && host="--host=${p%-}"
            # shellcheck disable=SC2086
            (cd "$out" && $NICE ./configure $host --disable-shared CFLAGS="$cflags" &&
                $NICE make -j2 libev.la) >"$out.log" 2>&1 || {
                echo "–"
                return
            }
        fi
        text_data "${p}size" "$out/.libs/libev.a"
        ;;
    esac
}


archs="x86_64 aarch64 armhf"
have_peers=true
peer_sources || have_peers=false

row() { # label then one figure per arch
    label=$1
    shift
    printf '| %s |' "$label"
    for v in "$@"; do printf ' %s |' "$(kib "$v")"; done
    printf '\n'
}

full="" full_nounwind="" minimal=""
for a in $archs; do
    full="$full $(eddy_size "$a" full)"
    full_nounwind="$full_nounwind $(eddy_size "$a" full-nounwind "-Dc_args=-fno-unwind-tables -fno-asynchronous-unwind-tables")"
    minimal="$minimal $(eddy_size "$a" minimal -Dminimal=true)"
done

echo "| text + data, bytes (\`size -t\`, -Os) | x86_64 | aarch64 | armhf Thumb-2 |"
echo "|---|---|---|---|"
# shellcheck disable=SC2086
row "eddy, full (the default build)" $full
# shellcheck disable=SC2086
row "eddy, full, -fno-unwind-tables -fno-asynchronous-unwind-tables" $full_nounwind
# shellcheck disable=SC2086
row "eddy, minimal (-Dminimal=true: every switch, no unwind tables)" $minimal
for peer in libev libuv1 libevent; do
    label=$peer
    [ "$peer" = libuv1 ] && label=libuv
    [ "$peer" = libevent ] && label=libevent_core
    if $have_peers; then
        figures=""
        for a in $archs; do figures="$figures $(peer_size "$peer" "$a")"; done
        # shellcheck disable=SC2086
        row "$label (Debian's source, -Os -DNDEBUG)" $figures
    else
        row "$label (no deb-src: not built)" – – –
    fi
done
echo
echo "| file size, bytes | x86_64 |"
echo "|---|---|"
row "echo server (examples/echo-server.c, which prints with stdio), minimal, musl static, stripped" "$(musl_echo_server)"
row "echo server without stdio (tests/firmware/echo_nostdio.c), minimal, musl static, stripped" \
    "$(musl_echo_server tests/firmware/echo_nostdio.c)"
echo
echo "gcc $(gcc -dumpfullversion); $(basename "$ROOT") at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
