#!/bin/sh
# Sets everything up, builds, and starts the echo server example on port 8124
# (try: nc localhost 8124). Ctrl-C stops it.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build} scripts/setup.sh
exec "${BUILD:-build}/examples/echo_server" "$@"
