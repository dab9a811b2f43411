#!/usr/bin/env bash
# Sets the log store beside fio on the same file system, in one run, and prints one markdown table:
#
#   - 4 KiB random writes from 8 writer threads over 4 volumes, 4 writes in flight per thread (32
#     in all), against fio randwrite at iodepth 32 on a pre-written file as large as the volumes:
#     threads that block on each write's future, and threads that reap completions through
#     callbacks as an event loop (the NBD server) does; then 16 per thread (128 in all) against
#     iodepth 128. Target: 1.5 times fio's IOPS.
#   - flushes per second from 32 threads that each write 4 KiB, wait, flush, wait, against fio's
#     4 KiB writes with an fdatasync after each at queue depth 1. Target: 5 times.
#   - recovery: a store whose checkpoint interval exceeds its log gets 1 GiB written, flushed, and
#     is abandoned like a crash; a fresh JVM opens it (target under 2 s), closes it, and another
#     fresh JVM opens it again (after a clean close; target under 0.5 s). fio's time to read 1 GiB
#     sequentially at queue depth 1 is the reference: the disk's share of a replay.
#   - heap bytes per extent of the volume maps, from bench/.../map/ExtentMapMemory (no fio).
#
# The write benchmarks run on a store prepared once: its log is written through once before the
# first round, as fio's file is, and each run deletes its volumes, so the next finds the log free
# and still pre-written. Runs are interleaved round by round, each unblend run next to its fio run,
# and the table shows medians; a ratio is the median of the per-round ratios.
#
# About 3.5 minutes on a quiet two-core machine (plus a build when sources changed); twice that
# when neighbours load the CPUs, which the pressure figures printed above the table show.
#
# usage: bench/logstore-bench.sh [DIRECTORY]
#   DIRECTORY holds the store, the fio file and the recovery stores; it must not be tmpfs.
#   Default: a new directory under bench/target, on the project's file system. Needs about
#   LOGSTORE_LOG_BYTES + 4 x LOGSTORE_VOLUME_BYTES + 2 GiB of free space.
# environment:
#   LOGSTORE_SECONDS         timed seconds of each write run (default 3)
#   LOGSTORE_WARMUP_SECONDS  warm-up seconds before each unblend write run, not measured: the JIT
#                            compiles for about two seconds on two busy cores (default 2)
#   LOGSTORE_FIO_RAMP_SECONDS  fio's ramp time before each run (default 1)
#   LOGSTORE_REPEATS         rounds; the table shows medians (default 3)
#   LOGSTORE_VOLUME_BYTES    size of each of the 4 volumes; fio's file is 4 times this (default 512M)
#   LOGSTORE_LOG_BYTES       log of the write benchmarks' store; a run must fit, so that the
#                            cleaner never works during a measurement (default 8G: 5 s at 250k
#                            writes/s of 4 KiB take 5 GiB)
#   LOGSTORE_RECOVERY        recovery variants, "WRITE_BYTES:PATTERN:IN_FLIGHT" separated by
#                            spaces (default "1M:sequential:8 4K:random:32": large batches and a
#                            small map, then ~13 000 small batches and a map of ~1.6 x 10^5
#                            extents; the second adds about 20 s per round)
#   LOGSTORE_RECOVERY_BYTES  bytes written before the crash (default 1G)
#   LOGSTORE_RECOVERY_BATCH_BYTES  batchBytesMax of the recovery stores (default 1M, the store's)
#   LOGSTORE_JAVA_OPTS       extra JVM options, e.g. a JFR recording
#   LOGSTORE_SKIP_MAP_MEMORY set to 1 to skip the 20 s extent-map memory measurement
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR="$ROOT/bench/target/bench-0.1.0-SNAPSHOT.jar"
SECONDS_PER_RUN=${LOGSTORE_SECONDS:-3}
WARMUP_SECONDS=${LOGSTORE_WARMUP_SECONDS:-2}
FIO_RAMP_SECONDS=${LOGSTORE_FIO_RAMP_SECONDS:-1}
REPEATS=${LOGSTORE_REPEATS:-3}
VOLUME_BYTES=${LOGSTORE_VOLUME_BYTES:-512M}
LOG_BYTES=${LOGSTORE_LOG_BYTES:-8G}
RECOVERY_VARIANTS=${LOGSTORE_RECOVERY:-"1M:sequential:8 4K:random:32"}
RECOVERY_BYTES=${LOGSTORE_RECOVERY_BYTES:-1G}
RECOVERY_BATCH_BYTES=${LOGSTORE_RECOVERY_BATCH_BYTES:-1M}
VOLUMES=4

# row | harness workload | completion | threads | writes in flight per thread | fio iodepth |
# fio's extra flags
WRITE_ROWS=(
  "rw32|random-write|join|8|4|32|"
  "rw32cb|random-write|callback|8|4|32|"
  "rw128|random-write|join|8|16|128|"
  "flush32|write-flush|join|32|1|1|--fdatasync=1"
)

BENCH_NAME=logstore-bench
# shellcheck source=common.sh
source "$ROOT/bench/common.sh"

# Builds native-io, logstore and the harness when the jar is missing or older than their sources.
build_if_needed() {
  if [[ -f "$JAR" ]] && [[ -z $(find "$ROOT/pom.xml" "$ROOT/native-io" "$ROOT/logstore" \
    "$ROOT/bench/pom.xml" "$ROOT/bench/src" -path '*/target' -prune -o -newer "$JAR" -type f \
    -print -quit) ]]; then
    return
  fi
  echo "building native-io, logstore and bench ..." >&2
  (cd "$ROOT" && ./mvnw -q -B -pl native-io,logstore,bench package -DskipTests \
    -Dspotless.check.skip=true) >&2
}

java_run() {
  # shellcheck disable=SC2086 # LOGSTORE_JAVA_OPTS is zero or more options.
  "$JAVA_HOME/bin/java" -Xmx1g --enable-native-access=ALL-UNNAMED ${LOGSTORE_JAVA_OPTS:-} \
    -cp "$JAR:$ROOT/bench/target/lib/*" "$@"
}

# The RESULT line of a harness run, without the word RESULT; the log lines go to $WORK/java.log.
java_result() {
  local out
  out=$(java_run "$@" 2>>"$WORK/java.log") || {
    tail -30 "$WORK/java.log" >&2
    fail "$* failed"
  }
  sed -n 's/^RESULT //p' <<<"$out" | tail -1
}

# One key=value field of a RESULT line.
field() {
  sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

fio_json() {
  local json="$WORK/fio.json"
  fio --output-format=json --output="$json" "$@" >/dev/null
  cat "$json"
}

# Prints "IOPS CPU-us-per-write" of a fio run on the reference file (fio's own CPU time).
run_fio_write() {
  local depth=$1 extra=$2
  # shellcheck disable=SC2086 # $extra is zero or more flags.
  fio_json --name=reference --filename="$FIO_FILE" --size="$FIO_BYTES" --ioengine=io_uring \
    --direct=1 --rw=randwrite --bs=4k --iodepth="$depth" $extra --time_based \
    --runtime="$SECONDS_PER_RUN" --ramp_time="$FIO_RAMP_SECONDS" |
    python3 -c 'import json, sys
job = json.load(sys.stdin)["jobs"][0]
iops = job["write"]["iops"]
print(iops, (job["usr_cpu"] + job["sys_cpu"]) / 100 * 1e6 / max(iops, 1))'
}

# Prints the seconds fio takes to read the recovery size sequentially, 1 MiB at queue depth 1.
run_fio_read() {
  fio_json --name=replay-reference --filename="$FIO_FILE" --size="$RECOVERY_BYTES" \
    --ioengine=io_uring --direct=1 --rw=read --bs=1M --iodepth=1 |
    python3 -c 'import json, sys
read = json.load(sys.stdin)["jobs"][0]["read"]
print(read["io_bytes"] / read["bw_bytes"])'
}

# Prints "operations/s storage-thread-CPU-share storage-thread-CPU-us-per-operation
# process-CPU-us-per-operation".
run_unblend_write() {
  local workload=$1 completion=$2 threads=$3 in_flight=$4 result
  result=$(java_result io.unblend.bench.store.StoreWriteBenchmark --store "$STORE" \
    --workload "$workload" --completion "$completion" --threads "$threads" \
    --in-flight "$in_flight" --volumes "$VOLUMES" --volume-bytes "$VOLUME_BYTES" \
    --seconds "$SECONDS_PER_RUN" --warmup-seconds "$WARMUP_SECONDS")
  [[ $(field engine "$result") == io_uring ]] || fail "the store did not use io_uring: $result"
  echo "$(field ops_per_second "$result") $(field storage_thread_cpu "$result")" \
    "$(field storage_cpu_us_per_op "$result") $(field process_cpu_us_per_op "$result")"
}

# Appends "row|runner|round|value" to the results.
record() {
  echo "$1|$2|$3|$4" >>"$RESULTS"
}

run_write_round() {
  local round=$1 spec row workload completion threads in_flight depth extra runner value i
  local share us_per_op process_us
  for spec in "${WRITE_ROWS[@]}"; do
    IFS='|' read -r row workload completion threads in_flight depth extra <<<"$spec"
    # Alternate who goes first, so that neither always follows the same neighbour.
    for ((i = 0; i < 2; i++)); do
      if (((i + round) % 2 == 0)); then runner=fio; else runner=unblend; fi
      if [[ $runner == fio ]]; then
        read -r value process_us <<<"$(run_fio_write "$depth" "$extra")"
        share= us_per_op=
      else
        read -r value share us_per_op process_us <<<"$(run_unblend_write "$workload" \
          "$completion" "$threads" "$in_flight")"
        record "$row" storage-share "$round" "$share"
        record "$row" storage-us "$round" "$us_per_op"
      fi
      [[ -n $value ]] || fail "$runner gave no result for $row"
      echo "round $round/$REPEATS  $row  $runner: $value/s, $process_us us CPU/op" \
        "${us_per_op:+(storage thread ${share} busy, ${us_per_op} us/op)}" >&2
      record "$row" "$runner" "$round" "$value"
      record "$row" "$runner-cpu-us" "$round" "$process_us"
    done
  done
}

run_recovery_round() {
  local round=$1 variant write_bytes pattern in_flight dir crash opened clean row value
  for variant in $RECOVERY_VARIANTS; do
    IFS=':' read -r write_bytes pattern in_flight <<<"$variant"
    row="recovery-$write_bytes-$pattern"
    dir="$WORK/recovery"
    rm -rf "$dir"
    crash=$(java_result io.unblend.bench.store.RecoveryBenchmark crash --store "$dir" \
      --log-bytes 2G --bytes "$RECOVERY_BYTES" --write-bytes "$write_bytes" \
      --in-flight "$in_flight" --pattern "$pattern" --batch-bytes "$RECOVERY_BATCH_BYTES")
    opened=$(java_result io.unblend.bench.store.RecoveryBenchmark open --store "$dir")
    clean=$(java_result io.unblend.bench.store.RecoveryBenchmark open --store "$dir")
    echo "round $round/$REPEATS  $row  crash: $crash" >&2
    echo "round $round/$REPEATS  $row  open after crash: $opened" >&2
    echo "round $round/$REPEATS  $row  open after close: $clean" >&2
    record "$row" crash-recovery "$round" "$(field recovery_seconds "$opened")"
    record "$row" crash-open "$round" "$(field open_seconds "$opened")"
    record "$row" crash-batches "$round" "$(field batches_replayed "$opened")"
    record "$row" crash-bytes "$round" "$(field bytes_replayed "$opened")"
    record "$row" crash-extents "$round" "$(field extents "$opened")"
    record "$row" clean-recovery "$round" "$(field recovery_seconds "$clean")"
    record "$row" clean-open "$round" "$(field open_seconds "$clean")"
    rm -rf "$dir"
  done
  value=$(run_fio_read)
  echo "round $round/$REPEATS  fio sequential read of $RECOVERY_BYTES at QD1: $value s" >&2
  record recovery fio-read "$round" "$value"
}

# Prints "JOL-bytes heap-growth-bytes" per extent of 10^6 random-order puts.
run_map_memory() {
  local out
  out=$(java_run io.unblend.bench.map.ExtentMapMemory 2>/dev/null) ||
    fail "ExtentMapMemory failed"
  echo "$out" >"$WORK/map-memory.txt"
  awk '/^random-order puts/ && $3 == 1000000 { print $4, $5 }' <<<"$out"
}

# The kernel's pressure figures over the last 5 minutes: how often some task waited for a CPU,
# and for I/O. Above a few per cent, the neighbours' load is in every number.
pressure() {
  local cpu io
  cpu=$(sed -n 's/^some .*avg300=\([0-9.]*\).*/\1/p' /proc/pressure/cpu 2>/dev/null || true)
  io=$(sed -n 's/^some .*avg300=\([0-9.]*\).*/\1/p' /proc/pressure/io 2>/dev/null || true)
  echo "some task waited for a CPU ${cpu:-?} % and for I/O ${io:-?} % of the last 5 minutes"
}

print_table() {
  python3 - "$RESULTS" "$RECOVERY_BYTES" <<'PY'
import collections, statistics, sys

path, recovery_bytes = sys.argv[1:]
runs = collections.defaultdict(dict)
for line in open(path):
    row, runner, round_, value = line.rstrip("\n").split("|", 3)
    runs[(row, runner)][round_] = float(value)

def median(row, runner):
    return statistics.median(runs[(row, runner)].values())

def verdict(ok):
    return "yes" if ok else "**no**"

print("| benchmark | unblend | reference (fio) | ratio | target | met? |")
print("| --- | --- | --- | ---: | --- | --- |")
writes = [
    ("rw32", "4 KiB random writes, 8 threads × 4 in flight (each blocks on its oldest write), "
     "4 volumes", "fio randwrite 4k QD32", "IOPS", 1.5),
    ("rw32cb", "4 KiB random writes, 8 threads × 4 in flight (completion callbacks, as the NBD "
     "server), 4 volumes", "fio randwrite 4k QD32", "IOPS", 1.5),
    ("rw128", "4 KiB random writes, 8 threads × 16 in flight (each blocks on its oldest write), "
     "4 volumes", "fio randwrite 4k QD128", "IOPS", 1.5),
    ("flush32", "flushes/s, 32 threads each writing 4 KiB then flushing, 4 volumes",
     "fio 4k randwrite + fdatasync, QD1", "/s", 5.0),
]
for row, label, reference, unit, target in writes:
    if (row, "unblend") not in runs:
        continue
    unblend, fio = runs[(row, "unblend")], runs[(row, "fio")]
    # Each round ran both back to back: a pair's ratio saw the same neighbours on the machine.
    ratio = statistics.median(unblend[r] / fio[r] for r in unblend if r in fio)
    cpu = (f" (CPU {median(row, 'unblend-cpu-us'):.1f} µs/op, of which storage thread "
           f"{median(row, 'storage-us'):.1f}; storage thread {median(row, 'storage-share'):.0%} "
           f"on CPU)")
    print(f"| {label} | {median(row, 'unblend'):,.0f} {unit}{cpu} | {reference}: "
          f"{median(row, 'fio'):,.0f} {unit} (CPU {median(row, 'fio-cpu-us'):.1f} µs/op) | "
          f"{ratio:.2f}× | ≥ {target:g}× | {verdict(ratio >= target)} |")

fio_read = median("recovery", "fio-read") if ("recovery", "fio-read") in runs else None
for (row, runner) in list(runs):
    if runner != "crash-recovery":
        continue
    _, write_bytes, pattern = row.split("-", 2)
    recovery, opened = median(row, "crash-recovery"), median(row, "crash-open")
    batches, replayed = median(row, "crash-batches"), median(row, "crash-bytes")
    extents = median(row, "crash-extents")
    if fio_read:
        reference = f"fio reads {recovery_bytes} sequentially, 1 MiB QD1: {fio_read:.2f} s"
        ratio = f"{recovery / fio_read:.2f}× (time)"
    else:
        reference, ratio = "–", "–"
    print(f"| recovery after a crash: {replayed / 2**30:.2f} GiB of un-checkpointed log "
          f"({write_bytes} {pattern} writes; {batches:,.0f} batches, {extents:,.0f} extents), "
          f"fresh JVM | replay {recovery:.2f} s; Store.open {opened:.2f} s | {reference} | "
          f"{ratio} | < 2 s | replay {verdict(recovery < 2)}; open {verdict(opened < 2)} |")
    clean_recovery, clean_open = median(row, "clean-recovery"), median(row, "clean-open")
    print(f"| open after a clean close (the same store, {extents:,.0f} extents), fresh JVM | "
          f"recovery {clean_recovery:.2f} s; Store.open {clean_open:.2f} s | – | – | < 0.5 s | "
          f"recovery {verdict(clean_recovery < 0.5)}; open {verdict(clean_open < 0.5)} |")

if ("map", "jol") in runs:
    jol, growth = median("map", "jol"), median("map", "growth")
    print(f"| heap bytes per extent (10^6 scattered 4 KiB extents, random-order puts; "
          f"ExtentMapMemory) | {jol:.1f} B (JOL), {growth:.1f} B (heap growth) | – | – | "
          f"≤ 64 B (issue 3; StoreConfiguration's budget) | {verdict(max(jol, growth) <= 64.5)} |")
PY
}

command -v fio >/dev/null || fail "needs fio: apt-get install fio"
command -v python3 >/dev/null || fail "needs python3 to read fio's JSON: apt-get install python3"
build_if_needed

make_work_dir "${1:-}"
STORE="$WORK/store"
FIO_FILE="$WORK/fio.dat"
RESULTS="$WORK/results"
: >"$RESULTS"
FIO_BYTES=$(python3 -c 'import sys
text = sys.argv[1].upper()
shift = {"K": 10, "M": 20, "G": 30, "T": 40}.get(text[-1:], 0)
print(int(text[:-1] if shift else text) << shift)' "$VOLUME_BYTES")
FIO_BYTES=$((FIO_BYTES * VOLUMES))

started=$(date +%s)
echo "preparing fio's file of $FIO_BYTES bytes and a store with a $LOG_BYTES log in $WORK ..." >&2
fallocate -l "$FIO_BYTES" "$FIO_FILE"
fio --name=prefill --filename="$FIO_FILE" --size="$FIO_BYTES" --ioengine=io_uring --direct=1 \
  --rw=write --bs=1M --iodepth=8 --output=/dev/null
echo "store: $(java_result io.unblend.bench.store.PrepareStore --store "$STORE" --log-bytes "$LOG_BYTES")" >&2

for ((round = 1; round <= REPEATS; round++)); do
  run_write_round "$round"
  run_recovery_round "$round"
done

if [[ ${LOGSTORE_SKIP_MAP_MEMORY:-0} != 1 ]]; then
  echo "measuring the extent map's heap (about 20 s) ..." >&2
  read -r jol growth <<<"$(run_map_memory)"
  [[ -n $jol ]] || fail "ExtentMapMemory printed no line for 10^6 random-order puts"
  record map jol 1 "$jol"
  record map growth 1 "$growth"
fi

echo
echo "$(uname -r), $(nproc) CPUs, $(df --output=source,fstype "$WORK" | tail -1 | tr -s ' '), fio $(fio --version);" \
  "medians of $REPEATS interleaved rounds of ${SECONDS_PER_RUN} s (unblend after ${WARMUP_SECONDS} s" \
  "warm-up in a fresh JVM, fio after ${FIO_RAMP_SECONDS} s ramp);" \
  "volumes $VOLUMES × $VOLUME_BYTES (fio file $FIO_BYTES bytes, pre-written), store log $LOG_BYTES (written through once);" \
  "JVM -Xmx1g; ratio = median of per-round unblend/fio; $(($(date +%s) - started)) s in all;" \
  "pressure: $(pressure)"
echo
print_table
