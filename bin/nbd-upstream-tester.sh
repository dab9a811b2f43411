#!/usr/bin/env bash
# Runs the NBD project's own conformance tester against unblend: nbd-tester-client from
# NetworkBlockDevice/nbd (tests/run), in every mode of its tests/run/simple_test that does not test
# nbd-server's own configuration files, each against a fresh store served by ./unblend serve:
#
#   read           -N export1                 throughput read test
#   write          -N export1 -w              throughput write test
#   flush          -N export1 -w -f           writes with FLUSH and FUA
#   rowrite        -N export1 -w -F           writes to a read-only export must fail (--read-only)
#   oversize       -o -N export1              requests larger than the server says it wants
#   handshake      -h -N export1              option haggling before the export is chosen
#   integrity      -i -t integrity-test.tr    a replayed trace of overlapping reads and writes
#   integrityhuge  -i -t integrityhuge-test.tr  the same with requests of up to 50 MB
#   unix           -N export1 -u SOCKET       the read test over the unix socket
#   list           nbd-client -l              NBD_OPT_LIST through Debian's nbd-client
#
# Exports are 50M, as in simple_test. The tester is not part of ./unblend test because it is only
# published as source on GitHub, which CI machines cannot reach; this script builds it from a
# checkout you give it.
#
# usage: bin/nbd-upstream-tester.sh NBD_SOURCE_DIR [WORK_DIR]
#   NBD_SOURCE_DIR  a checkout of https://github.com/NetworkBlockDevice/nbd
#   WORK_DIR        where the tester is built and the stores live (default: a new temporary one)
# needs: gcc, pkg-config, libglib2.0-dev, nbd-client (apt-get install gcc pkg-config libglib2.0-dev
# nbd-client). Exits non-zero when any mode fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC=${1:?usage: bin/nbd-upstream-tester.sh NBD_SOURCE_DIR [WORK_DIR]}
WORK=${2:-$(mktemp -d /tmp/nbd-upstream-tester.XXXXXX)}
PORT=${NBD_TESTER_PORT:-20995}
SRC=$(cd "$SRC" && pwd)
[[ -f $SRC/tests/run/nbd-tester-client.c ]] ||
  { echo "$SRC is not a checkout of NetworkBlockDevice/nbd (no tests/run/nbd-tester-client.c)" >&2; exit 2; }
for tool in gcc pkg-config nbd-client; do
  command -v "$tool" >/dev/null ||
    { echo "$tool is missing: apt-get install gcc pkg-config libglib2.0-dev nbd-client" >&2; exit 2; }
done
pkg-config --exists glib-2.0 ||
  { echo "glib is missing: apt-get install libglib2.0-dev" >&2; exit 2; }
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

# ---- build ------------------------------------------------------------------------------------

# What configure would find on Debian 12; no TLS (the tls modes are left out).
cat >"$WORK/config.h" <<'EOF'
#define HAVE_MKSTEMP 1
#define HAVE_FDATASYNC 1
#define HAVE_GNUTLS 0
#define _GNU_SOURCE 1
#define _FILE_OFFSET_BITS 64
#define PACKAGE_VERSION "unblend-run"
#define SYSCONFDIR "/etc"
EOF
# shellcheck disable=SC2046 # pkg-config prints several flags.
gcc -O2 -w -I"$WORK" -I"$SRC" -o "$WORK/nbd-tester-client" "$SRC/tests/run/nbd-tester-client.c" \
  "$SRC/cliserv.c" $(pkg-config --cflags --libs glib-2.0)
# make-integrityhuge still writes the request's cookie through a pointer cast from the days it was
# a char[8]; with nbd.h's uint64_t cookie that dereferences a number. Assign it instead.
sed -E 's/\*\(uint64_t \*\)\((re[qp])\.(handle|cookie)\) = htonll\(handle\);/\1.cookie = htonll(handle);/' \
  "$SRC/make-integrityhuge.c" >"$WORK/make-integrityhuge.c"
# shellcheck disable=SC2046
gcc -O2 -w -I"$WORK" -I"$SRC" -o "$WORK/make-integrityhuge" "$WORK/make-integrityhuge.c" \
  "$SRC/cliserv.c" $(pkg-config --cflags --libs glib-2.0)
"$WORK/make-integrityhuge" >"$WORK/integrityhuge-test.tr"

# ---- one mode ---------------------------------------------------------------------------------

SERVER=
stop_server() {
  [[ -n $SERVER ]] || return 0
  kill -TERM "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  SERVER=
}
trap stop_server EXIT

# Serves a fresh store with export1 and export (50M each) plus the extra flags given; waits until
# it is ready.
start_server() {
  local store=$WORK/store-$1 i
  shift
  rm -rf "$store"
  "$ROOT/unblend" serve --data-dir "$store" --listen "127.0.0.1:$PORT" \
    --socket "$WORK/unblend.sock" --volume export1=50M --volume export=50M "$@" \
    >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for ((i = 0; i < 600; i++)); do
    grep -q 'ready at nbd+unix' "$WORK/server.log" && return 0
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.1
  done
  echo "unblend did not start: $(tail -5 "$WORK/server.log")" >&2
  exit 1
}

declare -a FAILED=()
run_mode() {
  local mode=$1 server_flags=$2
  shift 2
  # shellcheck disable=SC2086 # server_flags holds zero or more flags.
  start_server "$mode" $server_flags
  if "$@" >"$WORK/$mode.out" 2>&1; then
    echo "| $mode | pass |"
  else
    echo "| $mode | FAIL: $(tr '\r' '\n' <"$WORK/$mode.out" | grep -v 'Requests:' | tail -1) |"
    FAILED+=("$mode")
  fi
  stop_server
  # Each store preallocates its whole log: keep the server's log, not the store.
  cp "$WORK/server.log" "$WORK/$mode.server.log"
  rm -rf "$WORK/store-$mode"
}

TESTER=$WORK/nbd-tester-client
echo "| mode | result |"
echo "|---|---|"
run_mode read "" "$TESTER" -N export1 127.0.0.1 "$PORT"
run_mode write "" "$TESTER" -N export1 -w 127.0.0.1 "$PORT"
run_mode flush "" "$TESTER" -N export1 -w -f 127.0.0.1 "$PORT"
run_mode rowrite "--read-only=export1" "$TESTER" -N export1 -w -F 127.0.0.1 "$PORT"
run_mode oversize "" "$TESTER" -o -N export1 127.0.0.1 "$PORT"
run_mode handshake "" "$TESTER" -h -N export1 127.0.0.1 "$PORT"
run_mode integrity "" "$TESTER" -N export1 -i -t "$SRC/tests/run/integrity-test.tr" 127.0.0.1 "$PORT"
run_mode integrityhuge "" "$TESTER" -N export1 -i -t "$WORK/integrityhuge-test.tr" 127.0.0.1 "$PORT"
run_mode unix "" "$TESTER" -N export1 -u "$WORK/unblend.sock"
run_mode list "" nbd-client -l 127.0.0.1 "$PORT"
echo
if ((${#FAILED[@]} > 0)); then
  echo "failed: ${FAILED[*]} (outputs in $WORK)"
  exit 1
fi
echo "all modes passed (outputs in $WORK)"
