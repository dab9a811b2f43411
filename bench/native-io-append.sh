#!/usr/bin/env bash
# Appends to a preallocated, pre-written file with O_DIRECT and sets unblend's io_uring engine
# beside fio's on the same file in the same run: 1 MiB writes at queue depth 8, 4 KiB writes at
# queue depth 32, and 4 KiB write + fdatasync at queue depth 1. The pread/pwrite fallback runs too,
# for information. Runs are interleaved round by round, so that the device's moods hit every
# contender alike, and the table shows medians. The target is a ratio of at least 0.9.
#
# usage: bench/native-io-append.sh [DIRECTORY]
#   DIRECTORY holds the test file; it must not be tmpfs. Default: a new directory under
#   bench/target, on the project's file system.
# environment:
#   APPEND_FILE_SIZE       size of the test file, as fallocate and fio read it (default 2G)
#   APPEND_SECONDS         timed seconds of each run (default 2)
#   APPEND_WARMUP_SECONDS  warm-up seconds before each run, not measured (default 1)
#   APPEND_REPEATS         rounds of interleaved runs; the table shows medians (default 4)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR="$ROOT/bench/target/bench-0.1.0-SNAPSHOT.jar"
FILE_SIZE=${APPEND_FILE_SIZE:-2G}
SECONDS_PER_RUN=${APPEND_SECONDS:-2}
WARMUP_SECONDS=${APPEND_WARMUP_SECONDS:-1}
REPEATS=${APPEND_REPEATS:-4}

# name | block bytes | queue depth | harness workload | fio's extra flags
WORKLOADS=(
  "write 1 MiB, QD 8|1048576|8|write|"
  "write 4 KiB, QD 32|4096|32|write|"
  "write 4 KiB + fdatasync, QD 1|4096|1|datasync|--fdatasync=1"
)
RUNNERS=(fio io_uring pread)

BENCH_NAME=native-io-append
# shellcheck source=common.sh
source "$ROOT/bench/common.sh"

# Builds native-io and the harness when the jar is missing or older than their sources.
build_if_needed() {
  if [[ -f "$JAR" ]] && [[ -z $(find "$ROOT/pom.xml" "$ROOT/native-io" "$ROOT/bench/pom.xml" \
    "$ROOT/bench/src" -path '*/target' -prune -o -newer "$JAR" -type f -print -quit) ]]; then
    return
  fi
  echo "building native-io and bench ..." >&2
  (cd "$ROOT" && JAVA_HOME="$JAVA_HOME" ./mvnw -q -B -pl native-io,bench package \
    -DskipTests -Dspotless.check.skip=true) >&2
}

# Allocates the file's blocks and writes every one once, so the runs overwrite in place.
prepare_file() {
  echo "preparing $FILE_SIZE in $FILE ..." >&2
  fallocate -l "$FILE_SIZE" "$FILE"
  fio --name=prefill --filename="$FILE" --size="$FILE_SIZE" --ioengine=io_uring --direct=1 \
    --rw=write --bs=1M --iodepth=8 --output=/dev/null
}

# Prints "IOPS MB/s" of one fio run; MB/s is bw_bytes / 10^6, as the harness counts.
run_fio() {
  local block_bytes=$1 queue_depth=$2 extra=$3 json="$WORK/fio.json"
  # shellcheck disable=SC2086 # $extra is zero or more flags.
  fio --name=append --filename="$FILE" --ioengine=io_uring --direct=1 --rw=write \
    --bs="$block_bytes" --iodepth="$queue_depth" $extra --time_based \
    --runtime="$SECONDS_PER_RUN" --ramp_time="$WARMUP_SECONDS" \
    --output-format=json --output="$json"
  python3 -c 'import json, sys
write = json.load(open(sys.argv[1]))["jobs"][0]["write"]
print(write["iops"], write["bw_bytes"] / 1e6)' "$json"
}

# Prints "IOPS MB/s" of one harness run.
run_unblend() {
  local engine=$1 block_bytes=$2 queue_depth=$3 workload=$4 line
  line=$("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$JAR" \
    --file "$FILE" --engine "$engine" --workload "$workload" --block-bytes "$block_bytes" \
    --queue-depth "$queue_depth" --seconds "$SECONDS_PER_RUN" --warmup-seconds "$WARMUP_SECONDS")
  sed -n 's/^RESULT .* iops=\([0-9.]*\) mbps=\([0-9.]*\)$/\1 \2/p' <<<"$line"
}

# Reads "workload|runner|round|IOPS|MB/s" lines and prints the markdown table.
print_table() {
  python3 -c '
import collections, statistics, sys
runs = collections.defaultdict(dict)
for line in sys.stdin:
    workload, runner, round_, iops, mbps = line.rstrip("\n").split("|")
    runs[(workload, runner)][round_] = (float(iops), float(mbps))

def median(workload, runner):
    results = runs[(workload, runner)].values()
    iops = statistics.median(r[0] for r in results)
    mbps = statistics.median(r[1] for r in results)
    return f"{iops:,.0f} IOPS, {mbps:,.1f} MB/s"

print("| workload | fio io_uring | unblend io_uring | ratio | unblend pread fallback |")
print("| --- | ---: | ---: | ---: | ---: |")
for workload in dict.fromkeys(w for w, _ in runs):
    fio, uring = runs[(workload, "fio")], runs[(workload, "io_uring")]
    # Each round ran fio and unblend back to back: the ratio of a pair sees the same device.
    ratio = statistics.median(uring[r][0] / fio[r][0] for r in fio)
    fio_cell, uring_cell, pread_cell = (median(workload, r) for r in ("fio", "io_uring", "pread"))
    print(f"| {workload} | {fio_cell} | {uring_cell} | {ratio:.2f} | {pread_cell} |")
'
}

command -v fio >/dev/null || fail "needs fio: apt-get install fio"
command -v python3 >/dev/null || fail "needs python3 to read fio's JSON: apt-get install python3"
build_if_needed

make_work_dir "${1:-}"
FILE="$WORK/append.dat"
prepare_file

RESULTS="$WORK/results"
for ((round = 1; round <= REPEATS; round++)); do
  for spec in "${WORKLOADS[@]}"; do
    IFS='|' read -r name block_bytes queue_depth workload extra <<<"$spec"
    # Rotate who goes first, so that no contender always follows the same one.
    for ((i = 0; i < ${#RUNNERS[@]}; i++)); do
      runner=${RUNNERS[(i + round) % ${#RUNNERS[@]}]}
      if [[ $runner == fio ]]; then
        result=$(run_fio "$block_bytes" "$queue_depth" "$extra")
      else
        result=$(run_unblend "$runner" "$block_bytes" "$queue_depth" "$workload")
      fi
      [[ -n $result ]] || fail "$runner gave no result for $name"
      read -r iops mbps <<<"$result"
      echo "round $round/$REPEATS  $name  $runner: $iops IOPS, $mbps MB/s" >&2
      echo "$name|$runner|$round|$iops|$mbps" >>"$RESULTS"
    done
  done
done

echo
echo "$(uname -r), $(df --output=source,fstype "$WORK" | tail -1 | tr -s ' '), file $FILE_SIZE;" \
  "medians of $REPEATS interleaved runs of ${SECONDS_PER_RUN} s after ${WARMUP_SECONDS} s warm-up;" \
  "MB/s = 10^6 bytes/s; ratio = unblend io_uring / fio io_uring IOPS, median of the per-round pairs"
echo
print_table <"$RESULTS"
