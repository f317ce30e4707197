#!/usr/bin/env python3
"""The undefined symbols of libeddy's objects (nm -u), checked for libc internals.

A name that starts with "__" is glibc's own (__cmsg_nxthdr from CMSG_NXTHDR, __*_chk from
_FORTIFY_SOURCE, __ctype_b_loc from <ctype.h>...) and makes an object built against
glibc's headers unusable with musl or uClibc-ng, except the few allowed below: those musl
provides too (checked against musl's libc.a when it is installed: Debian's musl-dev) and
the compiler's own runtime (libgcc, libatomic, the sanitizers).

    scripts/check-symbols.py LIBRARY_OR_OBJECTS...

Ends with a Criterion-style synthesis line (scripts/run-tests.sh counts it). Python, not
sh: under tests/valgrind-wrap.sh an untraced python3 keeps nm out of valgrind."""
import glob
import os
import re
import subprocess
import sys

LIBC_ALLOWED = {"__errno_location", "__stack_chk_fail", "__stack_chk_guard"}
RUNTIME_ALLOWED = re.compile(r"^__(aeabi_|atomic_|sync_|asan|ubsan_|sanitizer_|lsan_|tsan_|gcov|llvm_)")


def nm(*args, quiet=False):
    out = subprocess.run([os.environ.get("NM", "nm"), *args], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None,
                         universal_newlines=True).stdout
    return out.splitlines()


def main(files):
    if not files:
        print("usage: check-symbols.py libeddy.a|file.o...", file=sys.stderr)
        return 2
    undefined = set()
    for line in nm("-u", *files):
        fields = line.split()
        if fields and not fields[-1].endswith(":"):
            undefined.add(fields[-1].split("@")[0])
    bad = sorted(s for s in undefined
                 if s.startswith("__") and s not in LIBC_ALLOWED and not RUNTIME_ALLOWED.match(s))
    missing = []
    musl = [p for p in glob.glob("/usr/lib/*-linux-musl*/libc.a") + ["/usr/lib/musl/lib/libc.a"]
            if os.path.isfile(p)]
    if musl:
        defined = {f[2] for f in (l.split() for l in nm("--defined-only", musl[0], quiet=True)) if len(f) == 3}
        missing = sorted(LIBC_ALLOWED - defined)
        print(f"check-symbols: allowlist checked against {musl[0]}")
    if bad:
        print("check-symbols: libc-internal symbols referenced: " + " ".join(bad))
    if missing:
        print("check-symbols: allowed but not in musl: " + " ".join(missing))
    failed = 1 if bad or missing else 0
    if not failed:
        print(f"check-symbols: {len(undefined)} undefined symbols, none libc-internal")
    print(f"Synthesis: Tested: 1 | Passing: {1 - failed} | Failing: {failed} | Crashing: 0")
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
