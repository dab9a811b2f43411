#!/usr/bin/python3
"""The parts of bench/snapshots-and-cleaning.sh that speak to a running unblend server directly:
its admin socket (the protocol of nbd-server/.../admin/AdminProtocol.java) and NBD through libnbd.
Run with Debian's /usr/bin/python3 (python3-libnbd).

usage:
  snapshots-and-cleaning.py command SOCKET ARG...
      runs one admin command (e.g. status --json), prints its stdout, exits with its exit code
  snapshots-and-cleaning.py scatter URI EXTENTS
      writes EXTENTS 4 KiB blocks spread evenly over the export (every other block at most), so
      that its map holds about that many extents
  snapshots-and-cleaning.py levels SOCKET VOLUME COUNTS SAMPLES CLI_SAMPLES CLI...
      creates snapshots of VOLUME until each of COUNTS (comma-separated, increasing) exists; at each
      count times SAMPLES snapshot creations through the socket and CLI_SAMPLES through the command
      line CLI (the words after CLI_SAMPLES, to which "snapshot create VOLUME NAME" is appended),
      deleting each timed snapshot again; prints one RESULT line per count and path. Before the
      first count, 200 snapshots are created and deleted untimed, for the server's JIT; after the
      last, snapshots are deleted down to each smaller count and the socket is timed again
      (path "socketdown")
  snapshots-and-cleaning.py history SOCKET URI VOLUME COUNT WRITES SEED
      COUNT times: writes WRITES random 4 KiB blocks into the export, then snapshots VOLUME, so
      that each snapshot differs from the one before
"""
import random
import socket
import struct
import subprocess
import sys
import time

ADMIN_MAGIC = 0x55424144
ADMIN_VERSION = 1
FRAME_STDOUT, FRAME_STDERR, FRAME_EXIT = 1, 2, 3
BLOCK_BYTES = 4096
WARMUPS = 200


def admin(socket_path, arguments):
    """Runs one command line on the server; returns (exit code, stdout, stderr)."""
    request = struct.pack(">IHH", ADMIN_MAGIC, ADMIN_VERSION, len(arguments))
    for argument in arguments:
        encoded = argument.encode()
        request += struct.pack(">I", len(encoded)) + encoded
    out, err = [], []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(socket_path)
        connection.sendall(request)
        frames = connection.makefile("rb")
        while True:
            header = frames.read(5)
            if len(header) < 5:
                raise RuntimeError("the admin socket closed before the exit frame")
            kind, length = struct.unpack(">BI", header)
            data = frames.read(length)
            if kind == FRAME_STDOUT:
                out.append(data)
            elif kind == FRAME_STDERR:
                err.append(data)
            elif kind == FRAME_EXIT:
                return struct.unpack(">I", data)[0], b"".join(out).decode(), b"".join(err).decode()
            else:
                raise RuntimeError("unknown admin frame type %d" % kind)


def admin_ok(socket_path, arguments):
    code, out, err = admin(socket_path, arguments)
    if code != 0:
        raise RuntimeError("%s: exit code %d: %s" % (" ".join(arguments), code, err.strip()))
    return out


def percentile(sorted_values, fraction):
    index = min(len(sorted_values) - 1, max(0, int(-(-len(sorted_values) * fraction // 1)) - 1))
    return sorted_values[index]


def result_line(count, path, seconds):
    values = sorted(seconds)
    return "RESULT existing=%d path=%s median_ms=%.3f p90_ms=%.3f max_ms=%.3f samples=%d" % (
        count, path, 1000 * values[len(values) // 2], 1000 * percentile(values, 0.9),
        1000 * values[-1], len(values))


def time_creations(socket_path, volume, existing, samples, path):
    timed = []
    for i in range(samples):
        name = "timed%d" % i
        start = time.monotonic()
        admin_ok(socket_path, ["snapshot", "create", volume, name])
        timed.append(time.monotonic() - start)
        admin_ok(socket_path, ["snapshot", "delete", volume, name])
    print(result_line(existing, path, timed), flush=True)


def levels(socket_path, volume, counts, samples, cli_samples, cli):
    # The server compiles the command path first, so that the first count is not timed cold.
    for _ in range(WARMUPS):
        admin_ok(socket_path, ["snapshot", "create", volume, "warmup"])
        admin_ok(socket_path, ["snapshot", "delete", volume, "warmup"])
    counts = [int(c) for c in counts.split(",")]
    existing = 0
    for count in counts:
        while existing < count:
            admin_ok(socket_path, ["snapshot", "create", volume, "s%d" % existing])
            existing += 1
        time_creations(socket_path, volume, existing, samples, "socket")
        timed = []
        for i in range(cli_samples):
            name = "cli%d" % i
            start = time.monotonic()
            subprocess.run(cli + ["snapshot", "create", volume, name], check=True,
                           stdout=subprocess.DEVNULL)
            timed.append(time.monotonic() - start)
            admin_ok(socket_path, ["snapshot", "delete", volume, name])
        if timed:
            print(result_line(existing, "cli", timed), flush=True)
    # Down again, deleting: the server's JIT is warm now, so a difference between the counts on
    # the way up and on the way down is warm-up, not the number of snapshots.
    for count in reversed(counts[:-1]):
        while existing > count:
            existing -= 1
            admin_ok(socket_path, ["snapshot", "delete", volume, "s%d" % existing])
        time_creations(socket_path, volume, existing, samples, "socketdown")


def scatter(uri, extents):
    import nbd
    handle = nbd.NBD()
    handle.connect_uri(uri)
    blocks = handle.get_size() // BLOCK_BYTES // 2
    stride = max(1, blocks // max(1, extents))
    data = random.Random(3).randbytes(BLOCK_BYTES)
    for i in range(extents):
        handle.pwrite(data, i * stride * 2 * BLOCK_BYTES)
    handle.flush()
    handle.shutdown()


def history(socket_path, uri, volume, count, writes, seed):
    import nbd
    handle = nbd.NBD()
    handle.connect_uri(uri)
    blocks = handle.get_size() // BLOCK_BYTES
    rng = random.Random(seed)
    data = rng.randbytes(BLOCK_BYTES)
    for i in range(count):
        for _ in range(writes):
            handle.pwrite(data, rng.randrange(blocks) * BLOCK_BYTES)
        admin_ok(socket_path, ["snapshot", "create", volume, "h%d" % i])
    handle.flush()
    handle.shutdown()


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    mode, rest = argv[1], argv[2:]
    if mode == "command":
        code, out, err = admin(rest[0], rest[1:])
        sys.stdout.write(out)
        sys.stderr.write(err)
        sys.exit(code)
    elif mode == "scatter":
        scatter(rest[0], int(rest[1]))
    elif mode == "levels":
        levels(rest[0], rest[1], rest[2], int(rest[3]), int(rest[4]), rest[5:])
    elif mode == "history":
        history(rest[0], rest[1], rest[2], int(rest[3]), int(rest[4]), int(rest[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
