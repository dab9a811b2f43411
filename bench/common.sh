# Sourced by the benchmark scripts after they set BENCH_NAME and ROOT: their messages, the JDK,
# sizes, work directories and the processes they start, written once.

log() {
  echo "$BENCH_NAME: $*" >&2
}

fail() {
  log "$*"
  exit 1
}

# Bytes of a size with an optional K, M, G or T suffix (powers of two).
bytes_of() {
  numfmt --from=iec "$1"
}

# shellcheck source=../bin/find-jdk.sh disable=SC1091
source "$ROOT/bin/find-jdk.sh"
unblend_find_jdk || exit 1

# A new directory for this run below $1 (default bench/target), removed when the script exits.
# O_DIRECT on tmpfs would measure memory, not a disk, so tmpfs is refused.
make_work_dir() {
  local parent=${1:-$ROOT/bench/target}
  mkdir -p "$parent"
  WORK=$(mktemp -d "$parent/$BENCH_NAME.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  [[ $(stat -f -c %T "$WORK") != tmpfs ]] ||
    fail "$WORK is on tmpfs; O_DIRECT there measures memory, not a disk"
}

# Every process the script started, by pid: add to it, and stop them all with stop_started.
declare -a STARTED=()

# Stops one process by its pid: SIGTERM, then SIGKILL after $2 seconds (default 30).
stop_pid() {
  local pid=$1 seconds=${2:-30} i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < seconds * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "pid $pid ignored SIGTERM for $seconds s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# Stops every process in STARTED, each as stop_pid does with $1 seconds.
stop_started() {
  local pid
  for pid in "${STARTED[@]}"; do
    stop_pid "$pid" "${1:-30}"
  done
}
