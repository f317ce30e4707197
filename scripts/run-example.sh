#!/bin/sh
# Sets up, builds the echo server example and nothing else, and starts it. Arguments go
# to the server: none listens on port 8124 of localhost (try: telnet localhost 8124), a
# number on that port, a path on a UNIX socket (try: nc -U /tmp/echo.sock). Ctrl-C stops it.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BUILD=$BUILD EDDY_TARGETS=examples/echo-server scripts/setup.sh
exec "$BUILD/examples/echo-server" "$@"
