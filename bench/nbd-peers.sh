#!/usr/bin/env bash
# Sets unblend beside the NBD servers a user could run instead, in one run on the same disk, all
# driven by fio --ioengine=nbd over 127.0.0.1:
#
#   raw         fio itself on the pre-written files, --ioengine=io_uring --direct=1 (no NBD)
#   null        nbdkit null: discards writes, reads zeros; the protocol ceiling
#   file        nbdkit file on the pre-written files (page cache; fdatasync on flush)
#   qemu        qemu-nbd -t --cache=none --aio=io_uring, one instance per file
#   nbd-server  Debian's nbd-server 3.x, one config file with 4 exports (flush and fua on)
#   unblend     ./unblend serve, 4 volumes in one store whose log has been written through (until
#               every segment has been pre-written once; see prepare_unblend)
#
# Workloads (each on 2 GiB exports; fio ramps up for NBD_PEERS_RAMP_SECONDS, then measures):
#   randwrite32  4 KiB random writes, queue depth 32
#   randread32   4 KiB random reads, queue depth 32 (the exports hold data: pre-written)
#   seqwrite1m   1 MiB sequential writes, queue depth 8
#   flush1       4 KiB random writes at queue depth 1, a flush after each
#   flush32      4 KiB random writes at queue depth 32, a flush after every 32 writes
#   mix70        4 KiB random 70 % reads / 30 % writes, queue depth 16
#   blender      4 exports written sequentially at once, 64 KiB, queue depth 4 each, one fio job
#                (one connection) per export
#
# flush32 replays a generated fio iolog (a write list with a "sync" after every 32nd write),
# because fio's --fsync=32 at queue depth 32 sends a flush after nearly every write through its
# nbd engine (measured with nbdkit's stats filter: 14 244 flushes for 18 528 writes), and its
# flush rate would then depend on each server's timing. At queue depth 1 --fsync=1 is exact.
#
# Every server is started once, before the first workload, and stopped after the last, each by
# its own pid; workloads run one server at a time, server after server, so the disk's moods hit
# all of them alike. Each workload (and each round) starts one server later in the list than the
# one before, so that a server that leaves the disk busy (the host still writing back what a
# page-cache server wrote) slows a different server each time, not always its neighbour. After
# each run the script syncs and pauses, so that one server's page-cache writeback does not land in
# the next server's run. The peak resident memory of each server is the largest sum of VmHWM over
# its processes (and their children: nbd-server forks one per connection), sampled every second.
#
# The ceiling of a workload is the lower of nbdkit null and fio on the raw files with the same
# pattern. The main figure is IOPS (MB/s for seqwrite1m); unblend's ratio is given to the best
# peer (file, qemu, nbd-server) and to the ceiling. These machines are shared and noisy: only
# ratios measured in one run mean anything.
#
# unblend's log (NBD_PEERS_UNBLEND_LOG, default 16G) holds the live data of all four volumes plus
# every random write of the run, so its cleaner stays idle and this measures the write path alone
# (bench/snapshots-and-cleaning.sh measures the cleaner). Before the workloads the script writes the whole log once
# (volumes e1-e3 written and trimmed, pass after pass) and then writes e0 fully, as the raw files
# are pre-written for the other servers.
#
# A run with the defaults takes about 13 minutes (7 workloads x 6 servers x 10 s, plus pre-writing),
# and about 12 minutes more per extra round.
#
# usage: bench/nbd-peers.sh [DIRECTORY]
#   DIRECTORY holds the four export files (kept between runs when their size matches), unblend's
#   store (new each run, removed at its end) and the results; it must not be tmpfs. Needs 4 x the
#   export size plus NBD_PEERS_UNBLEND_LOG of space. Default: bench/target/nbd-peers.
# environment:
#   NBD_PEERS_SECONDS        measured seconds per workload and server (default 8)
#   NBD_PEERS_RAMP_SECONDS   unmeasured seconds before that (default 2)
#   NBD_PEERS_EXPORT_BYTES   size of each export (default 2G; K, M, G suffixes)
#   NBD_PEERS_ROUNDS         how many times to run every workload on every server (default 1); the
#                            report gives each server's median round, by the main figure
#   NBD_PEERS_UNBLEND_LOG    unblend's log size (default 8G plus 8G per round: 16G)
#   NBD_PEERS_SERVERS        which servers, in run order (default "raw null file qemu nbd-server
#                            unblend")
#   NBD_PEERS_WORKLOADS      which workloads, in order (default: all, in the order above)
#   NBD_PEERS_PORT           first TCP port used (default 20900; uses the next 20 too)
#   NBD_PEERS_UNBLEND_JAR    a built nbd-server.jar (with its lib/ beside it) to run instead of
#                            building this tree with ./unblend build
#   NBD_PEERS_UNBLEND_ARGS   extra flags of unblend serve, e.g. --checkpoint-interval 1G
#   NBD_PEERS_UNBLEND_PASSES_MAX  most passes writing unblend's log through before the runs
#                            (default 12): they stop once the log's segments have all been
#                            pre-written, when a pass costs the disk no more than fio wrote
#   UNBLEND_JAVA_OPTS        passed to unblend's JVM, e.g. a JFR recording:
#                            -XX:StartFlightRecording=filename=/tmp/u.jfr,settings=profile
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${1:-$ROOT/bench/target/nbd-peers}
SECONDS_PER_RUN=${NBD_PEERS_SECONDS:-8}
RAMP_SECONDS=${NBD_PEERS_RAMP_SECONDS:-2}
EXPORT_SIZE=${NBD_PEERS_EXPORT_BYTES:-2G}
ROUNDS=${NBD_PEERS_ROUNDS:-1}
UNBLEND_LOG=${NBD_PEERS_UNBLEND_LOG:-$((8 + 8 * ROUNDS))G}
read -r -a SERVERS <<<"${NBD_PEERS_SERVERS:-raw null file qemu nbd-server unblend}"
read -r -a WORKLOADS <<<"${NBD_PEERS_WORKLOADS:-randwrite32 randread32 seqwrite1m flush1 flush32 mix70 blender}"
PORT=${NBD_PEERS_PORT:-20900}
UNBLEND_JAR=${NBD_PEERS_UNBLEND_JAR:-}
UNBLEND_PASSES_MAX=${NBD_PEERS_UNBLEND_PASSES_MAX:-12}
EXPORTS=4
PEERS=(file qemu nbd-server)

BENCH_NAME=nbd-peers
# shellcheck source=common.sh
source "$ROOT/bench/common.sh"

EXPORT_BYTES=$(bytes_of "$EXPORT_SIZE")
UNBLEND_LOG_BYTES=$(bytes_of "$UNBLEND_LOG")

for tool in fio jq nbdinfo nbdkit qemu-nbd nbd-server numfmt; do
  command -v "$tool" >/dev/null ||
    fail "$tool is missing (apt-get install fio jq libnbd-bin nbdkit qemu-utils nbd-server)"
done
# nbdsh's module, under Debian's python (another python3 on PATH may lack it).
/usr/bin/python3 -c 'import nbd' 2>/dev/null || fail "apt-get install python3-libnbd"

mkdir -p "$DIR/files" "$DIR/fio"
# Absolute: nbd-server changes to / when it daemonizes.
DIR=$(cd "$DIR" && pwd)
RUN="$DIR/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN"
log "results and logs in $RUN"

# ---- processes ----------------------------------------------------------------------------------

# Every process this script started (STARTED) is stopped at exit whatever happens.
cleanup() {
  stop_started
  # unblend's store is as large as its log; its log file stays in the run's directory.
  rm -rf "$DIR/unblend"
}
trap cleanup EXIT

# A process and all its descendants.
process_tree() {
  local pid child
  for pid in "$@"; do
    [[ -d /proc/$pid ]] || continue
    echo "$pid"
    # shellcheck disable=SC2013 # the file holds space-separated pids.
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
      process_tree "$child"
    done
  done
}

# Sum of VmHWM (KiB) over the trees of the given pids.
hwm_kib() {
  local total=0 pid key value _
  for pid in $(process_tree "$@"); do
    while read -r key value _; do
      if [[ $key == VmHWM: ]]; then
        total=$((total + value))
        break
      fi
    done 2>/dev/null </proc/"$pid"/status || true
  done
  echo "$total"
}

# Runs in the background: keeps the largest hwm_kib of the pids in a file, once a second.
sample_memory() {
  local out=$1 max=0 now
  shift
  while true; do
    now=$(hwm_kib "$@")
    if ((now > max)); then
      max=$now
      echo "$max" >"$out"
    fi
    sleep 1
  done
}

# Waits until an NBD URI answers (60 s at most).
wait_ready() {
  local uri=$1 i
  for ((i = 0; i < 600; i++)); do
    nbdinfo --size "$uri" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "$uri did not answer within 60 s"
}

# URI[server,i] is export i of a server; PIDS[server] its root pids; LOGS[server] its log.
declare -A URI=() PIDS=()

start_null() {
  local port=$((PORT + 1)) i
  nbdkit --foreground --exit-with-parent -i 127.0.0.1 -p "$port" null size="$EXPORT_BYTES" \
    >"$RUN/null.log" 2>&1 &
  PIDS[null]=$!
  for ((i = 0; i < EXPORTS; i++)); do URI[null,$i]="nbd://127.0.0.1:$port/e$i"; done
}

start_file() {
  local port=$((PORT + 2)) i
  # dir= serves every file of the directory as an export of that name.
  nbdkit --foreground --exit-with-parent -i 127.0.0.1 -p "$port" file dir="$DIR/files" \
    >"$RUN/file.log" 2>&1 &
  PIDS[file]=$!
  for ((i = 0; i < EXPORTS; i++)); do URI[file,$i]="nbd://127.0.0.1:$port/e$i.img"; done
}

start_qemu() {
  local port i pids=()
  for ((i = 0; i < EXPORTS; i++)); do
    port=$((PORT + 10 + i))
    qemu-nbd --persistent --format=raw --cache=none --aio=io_uring --bind=127.0.0.1 \
      --port="$port" --export-name="e$i" "$DIR/files/e$i.img" >"$RUN/qemu-$i.log" 2>&1 &
    pids+=("$!")
    URI[qemu,$i]="nbd://127.0.0.1:$port/e$i"
  done
  PIDS[qemu]="${pids[*]}"
}

start_nbd_server() {
  local port=$((PORT + 3)) config="$RUN/nbd-server.conf" i pid
  {
    echo "[generic]"
    echo "    listenaddr = 127.0.0.1"
    echo "    port = $port"
    echo "    allowlist = true"
    for ((i = 0; i < EXPORTS; i++)); do
      echo "[e$i]"
      echo "    exportname = $DIR/files/e$i.img"
      echo "    flush = true"
      echo "    fua = true"
    done
  } >"$config"
  # nbd-server daemonizes (its -d mode serves one client at a time); its pid comes from -p.
  rm -f "$RUN/nbd-server.pid"
  nbd-server -C "$config" -p "$RUN/nbd-server.pid" >"$RUN/nbd-server.log" 2>&1 ||
    fail "nbd-server did not start: $(cat "$RUN/nbd-server.log")"
  for ((i = 0; i < 100; i++)); do
    [[ -s $RUN/nbd-server.pid ]] && break
    sleep 0.1
  done
  pid=$(cat "$RUN/nbd-server.pid")
  PIDS[nbd-server]=$pid
  for ((i = 0; i < EXPORTS; i++)); do URI[nbd-server,$i]="nbd://127.0.0.1:$port/e$i"; done
}

start_unblend() {
  local port=$((PORT + 4)) i volumes=()
  rm -rf "$DIR/unblend"
  for ((i = 0; i < EXPORTS; i++)); do volumes+=(--volume "e$i=$EXPORT_BYTES"); done
  # What ./unblend serve runs, on the copy taken at the start (sources may change meanwhile).
  # shellcheck disable=SC2086 # UNBLEND_JAVA_OPTS and NBD_PEERS_UNBLEND_ARGS are zero or more.
  "$JAVA_HOME/bin/java" @"$RUN/unblend-jar/jvm.options" ${UNBLEND_JAVA_OPTS:-} \
    -jar "$RUN/unblend-jar/nbd-server.jar" serve --data-dir "$DIR/unblend" \
    --listen "127.0.0.1:$port" --log-size "$UNBLEND_LOG_BYTES" "${volumes[@]}" \
    ${NBD_PEERS_UNBLEND_ARGS:-} >"$RUN/unblend.log" 2>&1 &
  PIDS[unblend]=$!
  for ((i = 0; i < EXPORTS; i++)); do URI[unblend,$i]="nbd://127.0.0.1:$port/e$i"; done
}

# ---- preparation --------------------------------------------------------------------------------

# The export files, written through once so that every later write overwrites written blocks.
prepare_files() {
  local i file
  for ((i = 0; i < EXPORTS; i++)); do
    file="$DIR/files/e$i.img"
    if [[ -f $file ]] && (($(stat -c %s "$file") == EXPORT_BYTES)); then
      continue
    fi
    log "pre-writing $file ($EXPORT_SIZE)"
    rm -f "$file"
    fio --name=prewrite --filename="$file" --size="$EXPORT_BYTES" --rw=write --bs=1M \
      --ioengine=io_uring --direct=1 --iodepth=8 --output="$RUN/prewrite-e$i.txt" >/dev/null
  done
}

# The bytes unblend's process has sent to the disk so far (/proc/PID/io write_bytes).
unblend_device_bytes() {
  awk '/^write_bytes:/ { print $2 }' "/proc/${PIDS[unblend]}/io"
}

# Writes unblend's whole log through, then leaves e0 full of data and e1-e3 empty, as the files
# are. A new log pre-writes each segment once before its first use (up to half a byte more per
# client byte, for more than one lap when trimmed segments are reused first), a cost the peers'
# files do not have after their own pre-writing: passes go on until one costs the disk no more
# than what fio wrote, at most NBD_PEERS_UNBLEND_PASSES_MAX of them.
prepare_unblend() {
  local passes i v before written ratio jobs=()
  passes=$(((UNBLEND_LOG_BYTES - EXPORT_BYTES + 3 * EXPORT_BYTES - 1) / (3 * EXPORT_BYTES)))
  for ((i = 1; i <= UNBLEND_PASSES_MAX; i++)); do
    log "unblend: writing its log through, pass $i (e1-e3 written, then trimmed)"
    before=$(unblend_device_bytes)
    jobs=()
    for v in 1 2 3; do jobs+=(--name="e$v" --uri="${URI[unblend,$v]}"); done
    fio --ioengine=nbd --rw=write --bs=1M --iodepth=8 --size="$EXPORT_BYTES" \
      --output="$RUN/unblend-prewrite-$i.txt" "${jobs[@]}" >/dev/null ||
      fail "unblend: pre-writing failed: $(tail -5 "$RUN/unblend-prewrite-$i.txt")"
    for v in 1 2 3; do
      /usr/bin/python3 -m nbd -u "${URI[unblend,$v]}" \
        -c 'for o in range(0, h.get_size(), 1 << 30): h.trim(min(1 << 30, h.get_size() - o), o)' \
        -c 'h.flush()' ||
        fail "unblend: trimming e$v failed"
    done
    written=$(($(unblend_device_bytes) - before))
    ratio=$(awk -v d="$written" -v c="$((3 * EXPORT_BYTES))" 'BEGIN { printf "%.2f", d / c }')
    log "unblend: pass $i wrote $ratio bytes to the disk per byte from fio"
    if ((i >= passes)) && awk -v r="$ratio" 'BEGIN { exit !(r <= 1.05) }'; then
      break
    fi
  done
  log "unblend: writing e0 ($EXPORT_SIZE)"
  fio --name=e0 --ioengine=nbd --uri="${URI[unblend,0]}" --rw=write --bs=1M --iodepth=8 \
    --size="$EXPORT_BYTES" --output="$RUN/unblend-prewrite-e0.txt" >/dev/null ||
    fail "unblend: writing e0 failed: $(tail -5 "$RUN/unblend-prewrite-e0.txt")"
  /usr/bin/python3 -m nbd -u "${URI[unblend,0]}" -c 'h.flush()'
}

# A fio iolog of random 4 KiB writes with a sync after every 32nd, enough for the whole run at
# 150 000 writes a second. $1 is the file name the log names, $2 the sync action.
write_flush32_iolog() {
  local target=$1 action=$2 out=$3
  /usr/bin/python3 - "$target" "$action" "$out" "$EXPORT_BYTES" \
    "$((150000 * (SECONDS_PER_RUN + RAMP_SECONDS)))" <<'EOF'
import random, sys
target, action, out, size, writes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(32)
blocks = size // 4096
with open(out, "w") as log:
    log.write("fio version 2 iolog\n%s add\n%s open\n" % (target, target))
    for i in range(writes):
        log.write("%s write %d 4096\n" % (target, rng.randrange(blocks) * 4096))
        if i % 32 == 31:
            log.write("%s %s 0 0\n" % (target, action))
    log.write("%s close\n" % target)
EOF
}

# ---- one fio run --------------------------------------------------------------------------------

# Writes the fio job file of a workload for a server.
job_file() {
  local workload=$1 server=$2 i
  echo "[global]"
  echo "time_based=1"
  echo "runtime=$SECONDS_PER_RUN"
  echo "ramp_time=$RAMP_SECONDS"
  echo "size=$EXPORT_BYTES"
  echo "group_reporting=1"
  echo "randrepeat=0"
  echo "norandommap=1"
  if [[ $server == raw ]]; then
    echo "ioengine=io_uring"
    echo "direct=1"
  else
    echo "ioengine=nbd"
  fi
  case $workload in
    randwrite32) echo -e "rw=randwrite\nbs=4k\niodepth=32" ;;
    randread32) echo -e "rw=randread\nbs=4k\niodepth=32" ;;
    seqwrite1m) echo -e "rw=write\nbs=1M\niodepth=8" ;;
    flush1)
      echo -e "rw=randwrite\nbs=4k\niodepth=1"
      if [[ $server == raw ]]; then echo "fdatasync=1"; else echo "fsync=1"; fi
      ;;
    flush32)
      echo "iodepth=32"
      if [[ $server == raw ]]; then
        echo "read_iolog=$DIR/fio/flush32-raw.iolog"
      else
        echo "read_iolog=$DIR/fio/flush32-nbd.iolog"
      fi
      ;;
    mix70) echo -e "rw=randrw\nrwmixread=70\nbs=4k\niodepth=16" ;;
    blender) echo -e "rw=write\nbs=64k\niodepth=4" ;;
    *) fail "unknown workload $workload" ;;
  esac
  local job_count=1
  [[ $workload == blender ]] && job_count=$EXPORTS
  for ((i = 0; i < job_count; i++)); do
    echo "[e$i]"
    if [[ $server == raw ]]; then
      echo "filename=$DIR/files/e$i.img"
    else
      echo "uri=${URI[$server,$i]}"
    fi
  done
}

# Runs one workload against one server in round $3; prints "IOPS MB/s p99-read-us p99-write-us
# p99-flush-us" (a dash where the workload has none), or "ERR".
run_fio() {
  local workload=$1 server=$2 base="$RUN/$1-$2-round$3"
  job_file "$workload" "$server" >"$base.fio"
  if ! fio --output-format=json --output="$base.json" "$base.fio" >"$base.out" 2>&1; then
    log "$workload on $server: fio failed: $(grep -v '^fio: connected' "$base.out" | tail -3)"
    echo "ERR"
    return
  fi
  jq -r '.jobs[0] as $j
    | def p99(s): if (s.total_ios // 0) > 0 and s.clat_ns.percentile
                  then (s.clat_ns.percentile["99.000000"] / 1000 | round | tostring) else "-" end;
      def p99sync(s): if (s.lat_ns.N // 0) > 0 and s.lat_ns.percentile
                  then (s.lat_ns.percentile["99.000000"] / 1000 | round | tostring) else "-" end;
    [ ($j.read.iops + $j.write.iops | round | tostring),
      (($j.read.bw_bytes + $j.write.bw_bytes) / 1000000 | round | tostring),
      p99($j.read), p99($j.write), p99sync($j.sync // {}) ] | join(" ")' "$base.json"
}

# ---- the run ------------------------------------------------------------------------------------

if [[ -z $UNBLEND_JAR ]]; then
  log "building unblend"
  "$ROOT/unblend" build || fail "unblend does not build; or give NBD_PEERS_UNBLEND_JAR"
  UNBLEND_JAR="$ROOT/nbd-server/target/nbd-server.jar"
fi
# A copy of the jar and its lib/, so that a rebuild during the run changes nothing.
mkdir -p "$RUN/unblend-jar"
cp "$UNBLEND_JAR" "$RUN/unblend-jar/nbd-server.jar"
cp -r "$(dirname "$UNBLEND_JAR")/lib" "$RUN/unblend-jar/lib"
cp "$ROOT/nbd-server/jvm.options" "$RUN/unblend-jar/jvm.options"

prepare_files
write_flush32_iolog nbd sync "$DIR/fio/flush32-nbd.iolog"
# The raw run's iolog names one file; fio then writes e0 as in every single-export workload.
write_flush32_iolog "$DIR/files/e0.img" datasync "$DIR/fio/flush32-raw.iolog"

declare -A MEMORY_FILE=()
for server in "${SERVERS[@]}"; do
  case $server in
    raw) continue ;;
    null) start_null ;;
    file) start_file ;;
    qemu) start_qemu ;;
    nbd-server) start_nbd_server ;;
    unblend) start_unblend ;;
    *) fail "unknown server $server" ;;
  esac
  # shellcheck disable=SC2206 # PIDS holds space-separated pids.
  pids=(${PIDS[$server]})
  STARTED+=("${pids[@]}")
  for ((i = 0; i < EXPORTS; i++)); do wait_ready "${URI[$server,$i]}"; done
  MEMORY_FILE[$server]="$RUN/$server.hwm"
  echo 0 >"${MEMORY_FILE[$server]}"
  sample_memory "${MEMORY_FILE[$server]}" "${pids[@]}" &
  STARTED+=("$!")
  log "$server ready (pids ${pids[*]})"
done
if [[ " ${SERVERS[*]} " == *" unblend "* ]]; then
  prepare_unblend
fi

# The main figure of a result: IOPS, or MB/s for the 1 MiB workload.
main_figure() {
  local workload=$1 result=$2
  [[ $result == ERR || -z $result ]] && return
  read -r iops mbps _ <<<"$result"
  if [[ $workload == seqwrite1m ]]; then echo "$mbps"; else echo "$iops"; fi
}

# The round whose main figure is the median of the rounds' (the lower middle one for an even
# count; a failed round counts as the lowest). $1 is the workload, the rest are the rounds' results.
median_result() {
  local workload=$1 result
  shift
  for result in "$@"; do
    echo "$(main_figure "$workload" "$result" || true)|$result"
  done | sort -t'|' -k1,1n | sed -n "$((($# + 1) / 2))p" | cut -d'|' -f2
}

declare -A RESULT=() ROUND_RESULTS=()
for ((round = 1; round <= ROUNDS; round++)); do
  for ((w = 0; w < ${#WORKLOADS[@]}; w++)); do
    workload=${WORKLOADS[w]}
    # Rotated by workload and round (see the top of this file).
    for ((s = 0; s < ${#SERVERS[@]}; s++)); do
      server=${SERVERS[(s + w + round - 1) % ${#SERVERS[@]}]}
      sync
      sleep 1
      result=$(run_fio "$workload" "$server" "$round")
      ROUND_RESULTS[$workload,$server]+="$result;"
      log "round $round/$ROUNDS  $workload  $server: $result"
    done
  done
done
for workload in "${WORKLOADS[@]}"; do
  for server in "${SERVERS[@]}"; do
    IFS=';' read -r -a rounds <<<"${ROUND_RESULTS[$workload,$server]}"
    RESULT[$workload,$server]=$(median_result "$workload" "${rounds[@]}")
  done
done

# ---- report -------------------------------------------------------------------------------------

ratio() {
  [[ -n $1 && -n $2 && $2 != 0 ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

{
  echo
  echo "## NBD servers side by side ($(date -u +%Y-%m-%d), $(nproc) CPUs, ${SECONDS_PER_RUN} s per run after ${RAMP_SECONDS} s ramp, $EXPORT_SIZE exports, median of $ROUNDS round(s))"
  echo
  echo "fio $(fio --version | sed 's/fio-//'), nbdkit $(nbdkit --version | awk '{print $2}')," \
    "qemu-nbd $(qemu-nbd --version | awk 'NR==1 {print $2}')," \
    "nbd-server $(nbd-server -V 2>&1 | awk '/version/ {print $NF; exit}'). IOPS (MB/s for seqwrite1m)."
  echo
  header="| workload |"
  rule="|---|"
  for server in "${SERVERS[@]}"; do
    header+=" $server |"
    rule+="---:|"
  done
  echo "$header unblend / best peer | unblend / ceiling |"
  echo "$rule---:|---:|"
  for workload in "${WORKLOADS[@]}"; do
    row="| $workload |"
    best=
    ceiling=
    for server in "${SERVERS[@]}"; do
      figure=$(main_figure "$workload" "${RESULT[$workload,$server]}")
      row+=" ${figure:-ERR} |"
      [[ -z $figure ]] && continue
      if [[ " ${PEERS[*]} " == *" $server "* ]] && [[ -z $best || $figure -gt $best ]]; then
        best=$figure
      fi
      if [[ $server == null || $server == raw ]] && [[ -z $ceiling || $figure -lt $ceiling ]]; then
        ceiling=$figure
      fi
    done
    unblend=$(main_figure "$workload" "${RESULT[$workload,unblend]:-}")
    echo "$row $(ratio "$unblend" "$best") | $(ratio "$unblend" "$ceiling") |"
  done
  echo
  echo "Per server and workload (its median round): IOPS, MB/s, p99 completion latency in µs of"
  echo "reads / writes / flushes."
  echo
  echo "| workload | server | IOPS | MB/s | p99 read | p99 write | p99 flush |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  for workload in "${WORKLOADS[@]}"; do
    for server in "${SERVERS[@]}"; do
      result=${RESULT[$workload,$server]}
      if [[ $result == ERR ]]; then
        echo "| $workload | $server | ERR | | | | |"
      else
        read -r iops mbps p99r p99w p99f <<<"$result"
        echo "| $workload | $server | $iops | $mbps | $p99r | $p99w | $p99f |"
      fi
    done
  done
  echo
  echo "Peak resident memory (VmHWM summed over the server's processes, MiB):"
  echo
  for server in "${SERVERS[@]}"; do
    [[ $server == raw ]] && continue
    echo "- $server: $(($(cat "${MEMORY_FILE[$server]}") / 1024))"
  done
} | tee "$RUN/report.md"
