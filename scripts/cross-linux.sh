#!/bin/sh
# Builds eddy and tests/portable/smoke.c (a self-checking program without Criterion) for the
# Linux targets of embedded firmware, with the README's vendoring line (every src/*/*.c in
# one cc command, -Iinclude -Isrc, -lpthread for the resolver) plus -Wall -Wextra -Werror
# -O2 -static, and runs each binary:
#   x86_64-musl   musl-gcc, run natively
#   aarch64       aarch64-linux-gnu-gcc (glibc), run by qemu-aarch64-static
#   armhf-thumb2  arm-linux-gnueabihf-gcc -mthumb (glibc, 32-bit), run by qemu-arm-static
#   s390x         s390x-linux-gnu-gcc (glibc, big-endian), run by qemu-s390x-static
# and the firmware's build (-Os -DEDDY_MINIMAL, eddy/config.h: no connect, signals,
# resolver...) with the same compiler and runner: x86_64-musl-minimal, aarch64-minimal,
# armhf-thumb2-minimal, s390x-minimal.
# There is no binfmt_misc here: the qemu-*-static user-mode emulator is called directly
# with the binary (qemu-user passes the system calls to this machine's kernel, so the
# sockets are real loopback sockets). s390x is the big-endian target rather than MIPS:
# qemu-mips translates some errno values wrongly, which the smoke program would report.
#
# A target fails when its build prints anything (a compiler warning is an error through
# -Werror; a linker warning is caught here), when the ELF header is not the target's, or
# when the smoke program does not end with "smoke: N checks, 0 failed" and status 0. The
# one linker message allowed is glibc's notice that a static getaddrinfo needs glibc's
# NSS libraries at run time (the resolver thread calls it; the smoke program uses IP
# literals only, so it never runs there; musl has no such notice).
#
# Extra arguments are added to every build line (e.g. -DEDDY_BACKEND_POLL). Installs the
# cross compilers, musl-tools and qemu-user-static with apt-get when missing (as root, or
# through sudo). One line per target, then "N passed, N failed". Default BUILD: build-cross.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-cross}
mkdir -p "$BUILD"
EXTRA="$*"

missing=""
for tool in musl-gcc aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc s390x-linux-gnu-gcc \
    qemu-aarch64-static qemu-arm-static qemu-s390x-static; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    echo "cross-linux: installing cross compilers and qemu-user-static (missing:$missing)"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends musl-tools \
        gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
        gcc-arm-linux-gnueabihf libc6-dev-armhf-cross \
        gcc-s390x-linux-gnu libc6-dev-s390x-cross \
        qemu-user-static >/dev/null
fi

# ELF identification: EI_CLASS (1: 32-bit, 2: 64-bit), EI_DATA (1: little-, 2: big-endian)
# and e_machine (bytes 18-19, in the file's own byte order), as "class data machine".
elf_ident() {
    od -An -tu1 -N20 "$1" | tr -s ' \n' '  ' | awk '{
        if ($2 != 69 || $3 != 76 || $4 != 70) { print "not-elf"; exit }
        m = ($6 == 1) ? $19 + 256 * $20 : 256 * $19 + $20
        print $5, $6, m }'
}

passed=0
failed=0
# name, compiler, flags, runner ("-": native), expected ELF "class data machine", expected
# endianness and pointer width as the smoke program prints them
target() {
    name=$1 cc=$2 flags=$3 runner=$4 elf=$5 arch=$6
    bin="$BUILD/smoke-$name"
    log="$BUILD/$name.log"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    if ! nice -n 10 "$cc" -std=c11 -Wall -Wextra -Werror -O2 $flags -Iinclude -Isrc \
        src/*/*.c tests/portable/smoke.c -o "$bin" -lpthread $EXTRA >"$log" 2>&1; then
        echo "FAIL $name: build ($cc $flags $EXTRA)"
        sed 's/^/     /' "$log"
        failed=$((failed + 1))
        return 0
    fi
    # glibc's static-getaddrinfo notice comes as two lines: "...: in function
    # `worker_main':" and "resolve.c:(...): warning: Using 'getaddrinfo' in statically
    # linked applications requires at runtime the shared libraries..."
    if grep -v -e "in function \`worker_main':" \
        -e "warning: Using 'getaddrinfo' in statically linked applications" "$log" |
        grep -q .; then
        echo "FAIL $name: the build printed warnings ($cc $flags $EXTRA)"
        sed 's/^/     /' "$log"
        failed=$((failed + 1))
        return 0
    fi
    got_elf=$(elf_ident "$bin")
    if [ "$got_elf" != "$elf" ]; then
        echo "FAIL $name: ELF class/data/machine is '$got_elf', expected '$elf'"
        failed=$((failed + 1))
        return 0
    fi
    t1=$(date +%s)
    set +e
    if [ "$runner" = - ]; then
        (cd "$BUILD" && timeout 180 "./smoke-$name") >"$log.run" 2>&1
    else
        (cd "$BUILD" && timeout 180 "$runner" "./smoke-$name") >"$log.run" 2>&1
    fi
    rc=$?
    set -e
    t2=$(date +%s)
    result=$(grep '^smoke: [0-9]* checks, [0-9]* failed$' "$log.run" | tail -n 1)
    info=$(head -n 1 "$log.run")
    case "$info" in
    *"$arch"*) arch_ok=1 ;;
    *) arch_ok=0 ;;
    esac
    case "$result" in
    *", 0 failed") result_ok=1 ;;
    *) result_ok=0 ;;
    esac
    how="build $((t1 - t0)) s, run $((t2 - t1)) s"
    if [ "$rc" = 0 ] && [ "$result_ok" = 1 ] && [ "$arch_ok" = 1 ]; then
        where=$runner
        [ "$runner" != - ] || where=native
        echo "ok   $name ($arch, $where): $result ($how)"
        passed=$((passed + 1))
    else
        echo "FAIL $name: exit status $rc, ${result:-no summary line} (expected '$arch'; $how)"
        sed 's/^/     /' "$log.run"
        failed=$((failed + 1))
    fi
}

target x86_64-musl musl-gcc "-static" - "2 1 62" "little-endian, 64-bit"
target aarch64 aarch64-linux-gnu-gcc "-static" qemu-aarch64-static "2 1 183" "little-endian, 64-bit"
target armhf-thumb2 arm-linux-gnueabihf-gcc "-static -mthumb" qemu-arm-static "1 1 40" \
    "little-endian, 32-bit"
target s390x s390x-linux-gnu-gcc "-static" qemu-s390x-static "2 2 22" "big-endian, 64-bit"
# -Os after the script's -O2: the last one wins
target x86_64-musl-minimal musl-gcc "-static -Os -DEDDY_MINIMAL" - "2 1 62" "little-endian, 64-bit"
target aarch64-minimal aarch64-linux-gnu-gcc "-static -Os -DEDDY_MINIMAL" qemu-aarch64-static \
    "2 1 183" "little-endian, 64-bit"
target armhf-thumb2-minimal arm-linux-gnueabihf-gcc "-static -mthumb -Os -DEDDY_MINIMAL" \
    qemu-arm-static "1 1 40" "little-endian, 32-bit"
target s390x-minimal s390x-linux-gnu-gcc "-static -Os -DEDDY_MINIMAL" qemu-s390x-static "2 2 22" \
    "big-endian, 64-bit"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
