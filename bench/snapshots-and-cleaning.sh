#!/usr/bin/env bash
# Snapshots and the cleaner (issue 5), measured side by side in one run and printed as one table:
#
#   (a) snapshot create latency with 1, 100 and 10 000 existing snapshots of one volume (whose map
#       holds SNAPBENCH_SNAPSHOT_EXTENTS extents), three ways: Store.createSnapshot in the store's
#       own JVM (bench/.../SnapshotCreateBenchmark, the server-side time alone); a round trip
#       through a running server's admin socket; and the command line, the JVM that ./unblend
#       execs ("java -jar nbd-server.jar snapshot create", start-up included; ./unblend itself
#       would first rebuild whatever sources changed). The socket is timed again on the way back
#       down (snapshots deleted to each smaller count), when the server's JIT is warm, so that
#       warm-up is not mistaken for a cost of the count. Target: flat, under 10 ms.
#   (b) fio 4 KiB randwrite (queue depth 32) on a volume with 1 000 snapshots against an equal
#       volume with none, in one server, run after run. Each snapshot follows a few random writes,
#       so that the snapshots differ. Target: within 10 %.
#   (c) write amplification under 4 KiB random overwrites, from the device's side: the growth of
#       write_bytes in the server's /proc/PID/io divided by the bytes fio wrote; beside it the
#       server's own figure from `status` (log bytes / client bytes) and where the bytes went
#       (client data, the cleaner's moves, batch headers, and what only the device saw:
#       checkpoints). Three runs, each on a new store whose volume fills 50 % or 80 % of the log:
#       uniform at 50 % (target <= 1.3), uniform at 80 % (<= 2.0), and 80/20 hot/cold at 80 %
#       (fio random_distribution=zoned:80/20:20/80, 80 % of writes to 20 % of the blocks; <= 1.5).
#       Each volume is first written sequentially (64 KiB writes), then overwritten SNAPBENCH_WARMUP_LOGS times the
#       log's capacity unmeasured (so that the cleaner has reached its steady state), then
#       SNAPBENCH_MEASURE_LOGS times measured.
#   (d) client IOPS while the cleaner works (the measured phase of the uniform 80 % run) against
#       the same writes on an empty log: a new store of the same size whose volume has never been
#       written, a fifth of the log unmeasured, then half of the log measured, so that the cleaner
#       never starts. Target: at least 0.7x.
#
# Every server runs the same copy of the jar, each on its own store and port of 127.0.0.1, and is
# stopped by its own pid. These machines are shared and noisy: only ratios measured in one run mean
# anything. With the defaults a run takes about 10 minutes.
#
# usage: bench/snapshots-and-cleaning.sh [DIRECTORY]
#   DIRECTORY holds the stores (new each run) and the results; it must not be tmpfs (O_DIRECT).
#   Default: bench/target/snapshots-and-cleaning. Needs about 6 GiB of free space.
# environment:
#   SNAPBENCH_LOG_BYTES          log of the cleaning stores, (c) and (d) (default 512M)
#   SNAPBENCH_SEGMENT_BYTES      their segment size (default 4M: 128 segments)
#   SNAPBENCH_WARMUP_LOGS        unmeasured overwrites before (c), in logs (default 1)
#   SNAPBENCH_MEASURE_LOGS       measured overwrites of (c), in logs (default 1)
#   SNAPBENCH_SNAPSHOT_COUNTS    existing snapshots at which (a) times creations (default
#                                "1,100,10000")
#   SNAPBENCH_SNAPSHOT_SAMPLES   timed creations per count, in-process and socket (default 50)
#   SNAPBENCH_CLI_SAMPLES        timed creations per count through the command line (default 5)
#   SNAPBENCH_SNAPSHOT_EXTENTS   extents in the map of (a)'s volume (default 1000)
#   SNAPBENCH_MANY_SNAPSHOTS     snapshots of (b)'s volume (default 1000)
#   SNAPBENCH_WRITES_BETWEEN     random 4 KiB writes before each of them (default 4)
#   SNAPBENCH_RANDWRITE_VOLUME   size of each of (b)'s two volumes (default 256M)
#   SNAPBENCH_RANDWRITE_BYTES    bytes fio writes per run in (b) (default 256M)
#   SNAPBENCH_ROUNDS             runs of each volume in (b); the ratio is the median (default 4)
#   SNAPBENCH_PORT               first TCP port (default 21000; uses the next 9 too)
#   SNAPBENCH_UNBLEND_JAR        the nbd-server.jar to run (with lib/ beside it; default
#                                nbd-server/target/nbd-server.jar, built by ./unblend build)
#   SNAPBENCH_PARTS              which parts, in order (default "a b c d"; d needs c)
#   SNAPBENCH_WORKLOADS          which workloads of (c) (default "uniform50 uniform80 hotcold80";
#                                d needs uniform80)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${1:-$ROOT/bench/target/snapshots-and-cleaning}
LOG_SIZE=${SNAPBENCH_LOG_BYTES:-512M}
SEGMENT_SIZE=${SNAPBENCH_SEGMENT_BYTES:-4M}
WARMUP_LOGS=${SNAPBENCH_WARMUP_LOGS:-1}
MEASURE_LOGS=${SNAPBENCH_MEASURE_LOGS:-1}
SNAPSHOT_COUNTS=${SNAPBENCH_SNAPSHOT_COUNTS:-1,100,10000}
SNAPSHOT_SAMPLES=${SNAPBENCH_SNAPSHOT_SAMPLES:-50}
CLI_SAMPLES=${SNAPBENCH_CLI_SAMPLES:-5}
SNAPSHOT_EXTENTS=${SNAPBENCH_SNAPSHOT_EXTENTS:-1000}
MANY_SNAPSHOTS=${SNAPBENCH_MANY_SNAPSHOTS:-1000}
WRITES_BETWEEN=${SNAPBENCH_WRITES_BETWEEN:-4}
RANDWRITE_VOLUME=${SNAPBENCH_RANDWRITE_VOLUME:-256M}
RANDWRITE_SIZE=${SNAPBENCH_RANDWRITE_BYTES:-256M}
ROUNDS=${SNAPBENCH_ROUNDS:-4}
PORT=${SNAPBENCH_PORT:-21000}
UNBLEND_JAR=${SNAPBENCH_UNBLEND_JAR:-$ROOT/nbd-server/target/nbd-server.jar}
read -r -a PARTS <<<"${SNAPBENCH_PARTS:-a b c d}"
BENCH_JAR="$ROOT/bench/target/bench-0.1.0-SNAPSHOT.jar"
HELPER="$ROOT/bench/snapshots-and-cleaning.py"
PYTHON=/usr/bin/python3

BENCH_NAME=snapshots-and-cleaning
# shellcheck source=common.sh
source "$ROOT/bench/common.sh"

LOG_BYTES=$(bytes_of "$LOG_SIZE")
SEGMENT_BYTES=$(bytes_of "$SEGMENT_SIZE")
RANDWRITE_VOLUME_BYTES=$(bytes_of "$RANDWRITE_VOLUME")
RANDWRITE_BYTES=$(bytes_of "$RANDWRITE_SIZE")

for tool in fio jq nbdinfo numfmt; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install fio jq libnbd-bin)"
done
"$PYTHON" -c 'import nbd' 2>/dev/null || fail "apt-get install python3-libnbd"
[[ -f $UNBLEND_JAR && -d $(dirname "$UNBLEND_JAR")/lib ]] ||
  fail "no $UNBLEND_JAR with lib/ beside it: run ./unblend build, or give SNAPBENCH_UNBLEND_JAR"

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
RUN="$DIR/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN"
log "results and logs in $RUN"

# A copy of the jar and its lib/, so that a rebuild during the run changes nothing.
mkdir -p "$RUN/unblend-jar"
cp "$UNBLEND_JAR" "$RUN/unblend-jar/nbd-server.jar"
cp -r "$(dirname "$UNBLEND_JAR")/lib" "$RUN/unblend-jar/lib"
cp "$ROOT/nbd-server/jvm.options" "$RUN/unblend-jar/jvm.options"
UNBLEND=("$JAVA_HOME/bin/java" @"$RUN/unblend-jar/jvm.options" -jar
  "$RUN/unblend-jar/nbd-server.jar")

# The in-process harness: built from bench/ against the installed logstore jar when stale.
build_bench_if_needed() {
  if [[ -f $BENCH_JAR ]] && [[ -z $(find "$ROOT/bench/pom.xml" "$ROOT/bench/src" \
    -newer "$BENCH_JAR" -type f -print -quit) ]]; then
    return
  fi
  log "building bench/"
  (cd "$ROOT" && ./mvnw -q -B -o -pl bench package -DskipTests -Dspotless.check.skip=true) >&2 ||
    fail "bench/ does not build"
}

# ---- servers ------------------------------------------------------------------------------------

# Every server this script started is stopped at exit whatever happens; a close writes a
# checkpoint, so each gets 60 s.
trap 'stop_started 60' EXIT

# start_server NAME PORT LOG SEGMENT VOLUME=SIZE...: a new store in $DIR/stores/NAME; sets
# SERVER_PID, SERVER_SOCKET (the admin socket) and SERVER_URI (nbd://127.0.0.1:PORT/, add a volume).
start_server() {
  local name=$1 port=$2 log_bytes=$3 segment_bytes=$4 volume i
  shift 4
  local store="$DIR/stores/$name" volumes=()
  rm -rf "$store"
  mkdir -p "$DIR/stores"
  for volume in "$@"; do volumes+=(--volume "$volume"); done
  "${UNBLEND[@]}" serve --data-dir "$store" --listen "127.0.0.1:$port" --log-size "$log_bytes" \
    --segment-size "$segment_bytes" "${volumes[@]}" >"$RUN/server-$name.log" 2>&1 &
  SERVER_PID=$!
  STARTED+=("$SERVER_PID")
  SERVER_SOCKET="$store/admin.sock"
  SERVER_URI="nbd://127.0.0.1:$port/"
  for ((i = 0; i < 600; i++)); do
    if grep -q "ready at nbd://" "$RUN/server-$name.log" 2>/dev/null && [[ -S $SERVER_SOCKET ]]; then
      log "$name: server pid $SERVER_PID ready"
      return
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "$name: the server exited: $(tail -5 "$RUN/server-$name.log")"
    sleep 0.1
  done
  fail "$name: the server was not ready within 60 s"
}

# The server's status, as JSON, through its admin socket (no JVM started).
status_json() {
  "$PYTHON" "$HELPER" command "$SERVER_SOCKET" status --json
}

# The bytes a process has caused to be written to block devices so far.
device_write_bytes() {
  awk '$1 == "write_bytes:" { print $2 }' /proc/"$1"/io
}

# fio_run NAME URI SIZE ARGS...: one fio job on the export; its JSON in $RUN/NAME.json.
fio_run() {
  local name=$1 uri=$2 size=$3
  shift 3
  fio --name="$name" --ioengine=nbd --uri="$uri" --size="$size" --output-format=json \
    --output="$RUN/$name.json" "$@" >"$RUN/$name.out" 2>&1 ||
    fail "fio $name failed: $(grep -v '^fio: connected' "$RUN/$name.out" | tail -3)"
}

# A field of a fio run's first job, by jq path (e.g. .write.iops).
fio_field() {
  jq -r ".jobs[0]$2" "$RUN/$1.json"
}

# Writes the export through once, in 64 KiB writes two at a time: batches then stay as small as the
# random writes' (about 128 KiB). A batch never spans two segments, so 1 MiB batches would leave up
# to 1 MiB unused at the end of every segment, a quarter of the log at 4 MiB segments.
prefill() {
  local name=$1 uri=$2 size=$3
  fio_run "$name" "$uri" "$size" --rw=write --bs=64k --iodepth=2
}

# Random 4 KiB writes at queue depth 32; ARGS adds e.g. --io_size or --random_distribution.
randwrite() {
  local name=$1 uri=$2 size=$3
  shift 3
  fio_run "$name" "$uri" "$size" --rw=randwrite --bs=4k --iodepth=32 --norandommap \
    --randrepeat=0 "$@"
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'
}

# The median; of an even count, the mean of the middle two.
median() {
  tr ' ' '\n' <<<"$*" | grep -v '^$' | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---- (a) snapshot create latency ----------------------------------------------------------------

declare -A LATENCY=()

part_a() {
  local result existing path
  build_bench_if_needed
  log "(a) Store.createSnapshot in process, counts $SNAPSHOT_COUNTS"
  rm -rf "$DIR/stores/harness"
  "$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED \
    -cp "$BENCH_JAR:$ROOT/bench/target/lib/*" io.unblend.bench.store.SnapshotCreateBenchmark \
    --store "$DIR/stores/harness" --extents "$SNAPSHOT_EXTENTS" --counts "$SNAPSHOT_COUNTS" \
    --samples "$SNAPSHOT_SAMPLES" >"$RUN/a-harness.out" 2>"$RUN/a-harness.log" ||
    fail "SnapshotCreateBenchmark failed: $(tail -5 "$RUN/a-harness.log")"
  rm -rf "$DIR/stores/harness"
  while read -r result; do
    existing=$(sed -n 's/.*existing=\([0-9]*\).*/\1/p' <<<"$result")
    [[ -n $existing ]] && LATENCY[$existing,store]=$(latency_of "$result")
  done < <(grep '^RESULT existing=' "$RUN/a-harness.out")
  CLOSE_SECONDS=$(sed -n 's/^RESULT close .*close_seconds=\([0-9.]*\).*/\1/p' "$RUN/a-harness.out")

  log "(a) through a server's admin socket and the command line"
  start_server snapshots $((PORT + 1)) 1G 64M snapped=1G
  "$PYTHON" "$HELPER" scatter "${SERVER_URI}snapped" "$SNAPSHOT_EXTENTS"
  "$PYTHON" "$HELPER" levels "$SERVER_SOCKET" snapped "$SNAPSHOT_COUNTS" "$SNAPSHOT_SAMPLES" \
    "$CLI_SAMPLES" env UNBLEND_DATA_DIR="$DIR/stores/snapshots" "${UNBLEND[@]}" \
    >"$RUN/a-server.out" ||
    fail "timing snapshots through the server failed"
  while read -r result; do
    existing=$(sed -n 's/.*existing=\([0-9]*\).*/\1/p' <<<"$result")
    path=$(sed -n 's/.*path=\([a-z]*\).*/\1/p' <<<"$result")
    LATENCY[$existing,$path]=$(latency_of "$result")
  done < <(grep '^RESULT' "$RUN/a-server.out")
  stop_pid "$SERVER_PID" 60
  rm -rf "$DIR/stores/snapshots"
}

# "median p90" in ms of a RESULT line.
latency_of() {
  echo "$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' <<<"$1") $(sed -n 's/.*p90_ms=\([0-9.]*\).*/\1/p' <<<"$1")"
}

# ---- (b) randwrite with 1 000 snapshots ---------------------------------------------------------

B_RATIO='' B_PLAIN='' B_SNAPPED=''

part_b() {
  local log_bytes round plain snapped ratios=() plains=() snappeds=() name
  # Both volumes, every run's writes (kept live by the snapshots on one of them) and room to
  # spare, so that the cleaner never starts: this compares the write path alone.
  log_bytes=$(((2 * RANDWRITE_VOLUME_BYTES + (2 * ROUNDS + 1) * RANDWRITE_BYTES) * 2))
  log "(b) randwrite on a volume with $MANY_SNAPSHOTS snapshots and one with none ($((log_bytes >> 20)) MiB log)"
  start_server randwrite $((PORT + 2)) "$log_bytes" 64M "plain=$RANDWRITE_VOLUME_BYTES" \
    "snapped=$RANDWRITE_VOLUME_BYTES"
  prefill b-prefill-plain "${SERVER_URI}plain" "$RANDWRITE_VOLUME_BYTES"
  prefill b-prefill-snapped "${SERVER_URI}snapped" "$RANDWRITE_VOLUME_BYTES"
  "$PYTHON" "$HELPER" history "$SERVER_SOCKET" "${SERVER_URI}snapped" snapped "$MANY_SNAPSHOTS" \
    "$WRITES_BETWEEN" 5 || fail "taking $MANY_SNAPSHOTS snapshots failed"
  # The plain volume gets as many random writes, so that both maps are alike.
  fio_run b-history-plain "${SERVER_URI}plain" "$RANDWRITE_VOLUME_BYTES" --rw=randwrite --bs=4k \
    --iodepth=1 --norandommap --io_size=$((MANY_SNAPSHOTS * WRITES_BETWEEN * 4096))
  randwrite b-warmup "${SERVER_URI}plain" "$RANDWRITE_VOLUME_BYTES" --io_size=$((RANDWRITE_BYTES / 2))
  for ((round = 1; round <= ROUNDS; round++)); do
    # Alternate who goes first, so that neither always follows the same neighbour.
    for name in $(if ((round % 2)); then echo plain snapped; else echo snapped plain; fi); do
      sync
      randwrite "b-$name-$round" "${SERVER_URI}$name" "$RANDWRITE_VOLUME_BYTES" \
        --io_size="$RANDWRITE_BYTES"
    done
    plain=$(fio_field "b-plain-$round" .write.iops)
    snapped=$(fio_field "b-snapped-$round" .write.iops)
    log "(b) round $round: plain $plain IOPS, $MANY_SNAPSHOTS snapshots $snapped IOPS"
    plains+=("$plain")
    snappeds+=("$snapped")
    ratios+=("$(ratio "$snapped" "$plain")")
  done
  status_json >"$RUN/b-status.json"
  stop_pid "$SERVER_PID" 60
  rm -rf "$DIR/stores/randwrite"
  B_PLAIN=$(median "${plains[@]}")
  B_SNAPPED=$(median "${snappeds[@]}")
  B_RATIO=$(printf %.2f "$(median "${ratios[@]}")")
}

# ---- (c) write amplification, (d) IOPS while cleaning -------------------------------------------

declare -A WA=()
read -r -a WORKLOADS <<<"${SNAPBENCH_WORKLOADS:-uniform50 uniform80 hotcold80}"

part_c() {
  local workload utilisation volume_bytes extra port=$((PORT + 3)) before_device after_device
  local before after
  for workload in "${WORKLOADS[@]}"; do
    case $workload in
      uniform50) utilisation=50 extra=() ;;
      uniform80) utilisation=80 extra=() ;;
      hotcold80) utilisation=80 extra=(--random_distribution=zoned:80/20:20/80) ;;
    esac
    # The volume, whole MiB: its live data once written through.
    volume_bytes=$((LOG_BYTES * utilisation / 100 / 1048576 * 1048576))
    log "(c) $workload: $((volume_bytes >> 20)) MiB of live data in a $((LOG_BYTES >> 20)) MiB log"
    start_server "$workload" "$port" "$LOG_BYTES" "$SEGMENT_BYTES" "vol=$volume_bytes"
    port=$((port + 1))
    prefill "c-$workload-prefill" "${SERVER_URI}vol" "$volume_bytes"
    randwrite "c-$workload-warmup" "${SERVER_URI}vol" "$volume_bytes" \
      --io_size=$((LOG_BYTES * WARMUP_LOGS)) "${extra[@]}"
    before=$(status_json)
    before_device=$(device_write_bytes "$SERVER_PID")
    randwrite "c-$workload" "${SERVER_URI}vol" "$volume_bytes" \
      --io_size=$((LOG_BYTES * MEASURE_LOGS)) "${extra[@]}"
    after_device=$(device_write_bytes "$SERVER_PID")
    after=$(status_json)
    echo "$before" >"$RUN/c-$workload-status-before.json"
    echo "$after" >"$RUN/c-$workload-status-after.json"
    WA[$workload,fio]=$(fio_field "c-$workload" .write.io_bytes)
    WA[$workload,iops]=$(fio_field "c-$workload" .write.iops)
    WA[$workload,p99]=$(fio_field "c-$workload" '.write.clat_ns.percentile["99.000000"]')
    WA[$workload,device]=$((after_device - before_device))
    WA[$workload,client]=$(($(jq .clientBytesWritten <<<"$after") - $(jq .clientBytesWritten <<<"$before")))
    WA[$workload,log]=$(($(jq .logBytesWritten <<<"$after") - $(jq .logBytesWritten <<<"$before")))
    WA[$workload,cleaner]=$(($(jq .cleanerBytesWritten <<<"$after") - $(jq .cleanerBytesWritten <<<"$before")))
    WA[$workload,status]=$(jq .writeAmplification <<<"$after")
    log "(c) $workload: device $(ratio "${WA[$workload,device]}" "${WA[$workload,fio]}")," \
      "status $(ratio "${WA[$workload,log]}" "${WA[$workload,client]}"), ${WA[$workload,iops]} IOPS"
    stop_pid "$SERVER_PID" 60
    # The larger checkpoint slot: what one checkpoint of this store writes.
    WA[$workload,checkpoint]=$(stat -c %s "$DIR/stores/$workload"/checkpoint.* | sort -n | tail -1)
    WA[$workload,full]=$(grep -c "the log is full" "$RUN/server-$workload.log" || true)
    rm -rf "$DIR/stores/$workload"
  done
}

D_EMPTY=

part_d() {
  local volume_bytes=$((LOG_BYTES * 80 / 100 / 1048576 * 1048576))
  log "(d) the same writes on an empty log"
  start_server empty $((PORT + 8)) "$LOG_BYTES" "$SEGMENT_BYTES" "vol=$volume_bytes"
  randwrite d-empty-warmup "${SERVER_URI}vol" "$volume_bytes" --io_size=$((LOG_BYTES / 5))
  randwrite d-empty "${SERVER_URI}vol" "$volume_bytes" --io_size=$((LOG_BYTES / 2))
  status_json >"$RUN/d-empty-status.json"
  [[ $(jq .cleanerBytesWritten "$RUN/d-empty-status.json") == 0 ]] ||
    log "(d) warning: the cleaner ran on the 'empty' log; raise SNAPBENCH_LOG_BYTES"
  D_EMPTY=$(fio_field d-empty .write.iops)
  stop_pid "$SERVER_PID" 60
  rm -rf "$DIR/stores/empty"
}

# ---- the run ------------------------------------------------------------------------------------

START_SECONDS=$SECONDS
for part in "${PARTS[@]}"; do
  case $part in
    a) part_a ;;
    b) part_b ;;
    c) part_c ;;
    d) part_d ;;
    *) fail "unknown part $part (use a b c d)" ;;
  esac
done

# ---- report -------------------------------------------------------------------------------------

met() {
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (v == "" || v == "-") { print "-"; exit }
    ok = (op == "<=") ? (v <= t) : (v >= t)
    print ok ? "yes" : "no" }'
}

ms() {
  if [[ -n $1 ]]; then awk -v m="$1" -v p="$2" 'BEGIN { printf "%.2f (p90 %.2f)", m, p }'; fi
}

share() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'
}

{
  echo
  echo "## Snapshots and the cleaner ($(date -u +%Y-%m-%d), $(nproc) CPUs, $(uname -r), fio $(fio --version | sed 's/fio-//'), $(((SECONDS - START_SECONDS + 30) / 60)) min)"
  echo
  if [[ " ${PARTS[*]} " == *" a "* ]]; then
    read -r -a counts <<<"${SNAPSHOT_COUNTS//,/ }"
    header="| snapshot create, ms: median (p90) |"
    rule="|---|"
    for existing in "${counts[@]}"; do
      header+=" $existing existing |"
      rule+="---:|"
    done
    echo "$header last / first | target flat, < 10 ms |"
    echo "$rule---:|---|"
    for path in store socket socketdown cli; do
      case $path in
        store) row="| Store.createSnapshot, in process |" ;;
        socket) row="| admin socket round trip, counts rising (server JIT warming) |" ;;
        socketdown) row="| admin socket round trip, counts falling (deleting; warm) |" ;;
        cli) row="| command line: JVM start + admin socket |" ;;
      esac
      first='' last='' worst=0
      for existing in "${counts[@]}"; do
        read -r median p90 <<<"${LATENCY[$existing,$path]:-}"
        row+=" $(ms "$median" "$p90") |"
        [[ -z $median ]] && continue
        [[ -z $first ]] && first=$median
        last=$median
        worst=$(awk -v a="$worst" -v b="${median:-0}" 'BEGIN { print (b > a) ? b : a }')
      done
      if [[ $path == cli ]]; then
        verdict="– (JVM start-up)"
      else
        verdict="$(met "$worst" "<=" 10)"
      fi
      echo "$row $(ratio "$last" "$first") | $verdict |"
    done
    echo
    echo "The volume's map holds $SNAPSHOT_EXTENTS extents. Closing the in-process store with" \
      "${counts[-1]} snapshots (a checkpoint of every map) took ${CLOSE_SECONDS:-?} s."
    echo
  fi
  echo "| measurement | unblend | reference | ratio | target | met? |"
  echo "|---|---:|---:|---:|---|---|"
  if [[ -n $B_RATIO ]]; then
    echo "| 4 KiB randwrite QD32 IOPS, volume with $MANY_SNAPSHOTS snapshots vs none (median of $ROUNDS) | $(printf %.0f "$B_SNAPPED") | $(printf %.0f "$B_PLAIN") | $B_RATIO | ≥ 0.90 | $(met "$B_RATIO" ">=" 0.9) |"
  fi
  if ((${#WA[@]})); then
    for workload in "${WORKLOADS[@]}"; do
      case $workload in
        uniform50) label="uniform random 4 KiB, 50 % full" target=1.3 ;;
        uniform80) label="uniform random 4 KiB, 80 % full" target=2.0 ;;
        hotcold80) label="80/20 hot/cold 4 KiB, 80 % full" target=1.5 ;;
      esac
      device=$(ratio "${WA[$workload,device]}" "${WA[$workload,fio]}")
      echo "| write amplification, device (/proc/PID/io), $label | $device | 1.00 | $device | ≤ $target | $(met "$device" "<=" "$target") |"
    done
  fi
  if [[ -n $D_EMPTY && -n ${WA[uniform80,iops]:-} ]]; then
    d_ratio=$(ratio "${WA[uniform80,iops]}" "$D_EMPTY")
    echo "| 4 KiB randwrite QD32 IOPS while cleaning at 80 % vs empty log | $(printf %.0f "${WA[uniform80,iops]}") | $(printf %.0f "$D_EMPTY") | $d_ratio | ≥ 0.70 | $(met "$d_ratio" ">=" 0.7) |"
    if [[ -n ${WA[hotcold80,iops]:-} ]]; then
      echo "| same, 80/20 hot/cold at 80 % vs empty log | $(printf %.0f "${WA[hotcold80,iops]}") | $(printf %.0f "$D_EMPTY") | $(ratio "${WA[hotcold80,iops]}" "$D_EMPTY") | – | – |"
    fi
  fi
  if ((${#WA[@]})); then
    echo
    echo "Where the bytes of the measured overwrites went, per byte fio wrote ($((LOG_BYTES >> 20)) MiB log" \
      "in $((LOG_BYTES / SEGMENT_BYTES)) segments; $WARMUP_LOGS log(s) of overwrites before, $MEASURE_LOGS measured):"
    echo
    echo "| workload | fio MiB | device WA | status WA (period) | status WA (since open) | client data | cleaner moves | batch headers | device only (checkpoints) | checkpoint MiB | IOPS | p99 write ms | 'log is full' warnings |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for workload in "${WORKLOADS[@]}"; do
      fio_bytes=${WA[$workload,fio]}
      headers=$((WA[$workload,log] - WA[$workload,client] - WA[$workload,cleaner]))
      echo "| $workload | $((fio_bytes >> 20)) | $(ratio "${WA[$workload,device]}" "$fio_bytes") |" \
        "$(ratio "${WA[$workload,log]}" "${WA[$workload,client]}") | $(printf %.2f "${WA[$workload,status]}") |" \
        "$(share "${WA[$workload,client]}" "$fio_bytes") | $(share "${WA[$workload,cleaner]}" "$fio_bytes") |" \
        "$(share "$headers" "$fio_bytes") | $(share $((WA[$workload,device] - WA[$workload,log])) "$fio_bytes") |" \
        "$(awk -v n="${WA[$workload,checkpoint]}" 'BEGIN { printf "%.1f", n / 1048576 }') |" \
        "$(printf %.0f "${WA[$workload,iops]}") | $(awk -v n="${WA[$workload,p99]}" 'BEGIN { printf "%.1f", n / 1e6 }') |" \
        "${WA[$workload,full]} |"
    done
  fi
} | tee "$RUN/report.md"
