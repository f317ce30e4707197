# Sourced by bench/run and bench/guard: installs Debian packages that are missing
# (idempotently) and configures and builds a benchmark build directory.

# bench_install PACKAGE...
bench_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    echo "bench: installing ${missing[*]}" >&2
    if [[ $(id -u) -eq 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2 ||
            { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2; }
    else
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
    fi
}

# bench_build DIR: the release build of the benchmarks (what every figure is measured on),
# configured when DIR has no build yet, then brought up to date.
bench_build() {
    if [[ ! -f $1/build.ninja ]]; then
        meson setup "$1" -Dbench=enabled -Dbuildtype=release -Dtests=disabled \
            -Dexamples=disabled >&2
    fi
    ninja -C "$1" >&2
}
