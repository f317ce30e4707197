#!/bin/sh
# The README's vendoring line, exactly, with gcc and with clang:
#     cc -std=c11 -Iinclude -Isrc src/*/*.c app.c -o app
# (app.c: examples/echo-server.c), then an echo round trip with each binary over a UNIX
# socket in a fresh temporary directory (scripts/echo-roundtrip.py). Extra arguments are added to the line (CI runs it
# again with -Os -DEDDY_MINIMAL, over TCP on an ephemeral port, since the minimal build has
# no UNIX sockets). With -DEDDY_MINIMAL it also builds tests/firmware/switched_off.c by
# the same line and runs it (every switched-off call returns its documented error, TCP
# still works), builds and runs tests/firmware/echo_nostdio.c (the echo server without
# stdio or signals: an echo round trip, exit status 0), and checks that the library's
# objects, compiled alone, reference no printf-family symbol, no stdio stream and no
# inet_ntop, nor the libc calls of switched-off features (fstat, stat, chmod, unlink,
# sigpending, sigwait, sigaction, pthread_sigmask, eventfd, pipe, any pthread_ call,
# connect; nm -u), nor realloc, inet_pton, fcntl and the interface-name calls (the
# library does without them). Ends with "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-vendoring}
mkdir -p "$BUILD"
EXTRA="$*"

passed=0
failed=0

# no_symbols CC WHAT REGEX: passes when no object in $objs (all compiled: $ok) has an
# undefined symbol matching REGEX.
no_symbols() {
    found=$(nm -u "$objs"/*.o | awk '{print $NF}' | grep -E "$3" | sort -u | tr '\n' ' ')
    if $ok && [ -z "$found" ]; then
        echo "ok   $1: $2"
        passed=$((passed + 1))
    else
        echo "FAIL $1: the library's objects reference: $found"
        failed=$((failed + 1))
    fi
}
for cc in gcc clang; do
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "FAIL $cc: not installed"
        failed=$((failed + 1))
        continue
    fi
    app="$BUILD/echo-server-$cc"
    # shellcheck disable=SC2086
    if ! "$cc" -std=c11 -Iinclude -Isrc src/*/*.c examples/echo-server.c -o "$app" $EXTRA \
        >"$BUILD/log.txt" 2>&1; then
        echo "FAIL $cc -std=c11 -Iinclude -Isrc src/*/*.c examples/echo-server.c $EXTRA"
        sed 's/^/     /' "$BUILD/log.txt"
        failed=$((failed + 1))
        continue
    fi
    case "$EXTRA" in
    *EDDY_MINIMAL* | *EDDY_NO_UNIX*) mode=tcp ;;
    *) mode=unix ;;
    esac
    if timeout 60 python3 scripts/echo-roundtrip.py "$app" "$mode" sigterm; then
        echo "ok   $cc: built with the vendoring line, echo round trip ($mode)"
        passed=$((passed + 1))
    else
        echo "FAIL $cc: echo round trip ($mode)"
        failed=$((failed + 1))
    fi
done
case "$EXTRA" in
*EDDY_MINIMAL*)
    for cc in gcc clang; do
        command -v "$cc" >/dev/null 2>&1 || continue
        prog="$BUILD/switched-off-$cc"
        # shellcheck disable=SC2086
        if "$cc" -std=c11 -Iinclude -Isrc src/*/*.c tests/firmware/switched_off.c -o "$prog" \
            $EXTRA >"$BUILD/log.txt" 2>&1 && timeout 60 "$prog" >"$BUILD/run.txt" 2>&1; then
            echo "ok   $cc: tests/firmware/switched_off.c ($(grep -c '^ok' "$BUILD/run.txt") checks)"
            passed=$((passed + 1))
        else
            echo "FAIL $cc: tests/firmware/switched_off.c"
            sed 's/^/     /' "$BUILD/log.txt" "$BUILD/run.txt" 2>/dev/null | grep -v '^     ok'
            failed=$((failed + 1))
        fi
        # The firmware echo server (no stdio, no signals): it returns 0 once its first
        # client has gone.
        prog="$BUILD/echo-nostdio-$cc"
        # shellcheck disable=SC2086
        if "$cc" -std=c11 -Iinclude -Isrc src/*/*.c tests/firmware/echo_nostdio.c -o "$prog" \
            $EXTRA >"$BUILD/log.txt" 2>&1 &&
            timeout 60 python3 scripts/echo-roundtrip.py "$prog" tcp client; then
            echo "ok   $cc: tests/firmware/echo_nostdio.c, echo round trip (tcp), exit status 0"
            passed=$((passed + 1))
        else
            echo "FAIL $cc: tests/firmware/echo_nostdio.c"
            sed 's/^/     /' "$BUILD/log.txt"
            failed=$((failed + 1))
        fi
        objs="$BUILD/objs-$cc"
        rm -rf "$objs"
        mkdir -p "$objs"
        ok=true
        for src in src/*/*.c; do
            o="$objs/$(echo "$src" | tr / _).o"
            # shellcheck disable=SC2086
            "$cc" -std=c11 -Iinclude -Isrc -c "$src" -o "$o" $EXTRA || ok=false
        done
        # inet_ntop with them: musl's formats with snprintf (address.c formats by hand).
        no_symbols "$cc" "no printf-family or stdio symbol in the library's objects (nm -u)" \
            '^(_?_?[a-z]*printf[a-z_]*|puts|fputs|fputc|putc|putchar|fwrite|perror|stderr|stdout|fflush|inet_ntop)$'
        # What only switched-off features call: pipes and ttys (fstat, the SIGPIPE dance
        # of write(2)), UNIX socket files (stat, chmod, unlink). A static program would
        # carry them from libc. (strtoul: never, the zone id is parsed by hand.) Signal
        # watchers (sigaction, the signal masks, the registry's mutex) and the loop's wakeup
        # descriptor (eventfd or a pipe: post, resolver and signals are all off), and with
        # them every pthread_ call (the resolver's threads are off too). The client side:
        # connect(2) (bind, getsockopt, socket stay: servers use them).
        no_symbols "$cc" "no call of a switched-off feature in the library's objects (nm -u)" \
            '^(_*f?stat(at)?(64)?|__f?xstat(64)?|chmod|unlink|strtoul|sigpending|sigwait|sigaction|sigprocmask|sigfillset|pthread_[a-z_]*|eventfd|pipe2?|connect)$'
        # What the library does itself so that a static program need not carry libc's
        # version: IP literals (isip.c), growth without realloc (alloc.c), descriptor
        # flags by ioctl (fd.c); and interface names, looked up only with the resolver.
        no_symbols "$cc" "no realloc, inet_pton, fcntl or if_* call in the library's objects (nm -u)" \
            '^(realloc|inet_pton|fcntl(64)?|if_nametoindex|if_indextoname)$'
    done
    ;;
esac
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
