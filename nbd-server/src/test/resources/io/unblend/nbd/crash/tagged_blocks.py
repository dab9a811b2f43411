#!/usr/bin/python3
"""Tagged 4 KiB blocks over NBD, for KilledServerLosesNoFlushedWriteTest.

Every 512-byte sector of a block written here carries its own tag:

    0        8               16      20              28                              508     512
    +--------+---------------+-------+---------------+-------------------------------+-------+
    | magic  | block index   |sector | generation    | filler derived from the tag   | CRC32 |
    | 8 B    | u64 LE        |u32 LE | u64 LE        | 480 B                         | u32 LE|
    +--------+---------------+-------+---------------+-------------------------------+-------+

so a reader can tell a block's generation, another block's data (a wrong block index), a sector
shifted within its block, a torn block (sectors of different generations) and garbage (a bad
magic, CRC or filler) apart.

  tagged_blocks.py write URI --first-generation G --blocks N --working-set W --hot H
                         --queue-depth Q --flush-every F --fua-percent P --seed S --seconds T
      Sends one FLUSH and prints "ready", then writes random blocks of a working set of W blocks
      spread over the first N blocks of the export (H of them hot, drawn half the time), never two
      writes to one block at once, Q in flight, P percent with FUA, and a FLUSH after every F
      writes, until the server goes away or T seconds pass. It prints, one per line:
        W BLOCK GEN   before the write is sent (GEN is unique and increases)
        D BLOCK GEN   once it is durable: the FUA write's reply, or the reply of a FLUSH sent
                      after the write's reply
        end REASON writes=N flushes=M durable=K
      and exits 0 when the connection died (the test killed the server), 2 on an NBD error
      while the connection was alive (printed as "E message").

  tagged_blocks.py read URI
      Reads the whole export and prints one line per block that is not all zeros:
        B BLOCK TAGGED_BLOCK GEN      every sector valid, all of generation GEN
        T BLOCK s0 s1 ... s7          valid sectors of different generations ("-" for zeros)
        G BLOCK SECTOR REASON         garbage
"""

import argparse
import random
import struct
import sys
import time
import zlib

import nbd

BLOCK_BYTES = 4096
SECTOR_BYTES = 512
SECTORS_PER_BLOCK = BLOCK_BYTES // SECTOR_BYTES
MAGIC = b"UNBLNDCR"
TAG = struct.Struct("<8sQIQ")
FILLER_BYTES = SECTOR_BYTES - TAG.size - 4
ZERO_BLOCK = bytes(BLOCK_BYTES)
ZERO_SECTOR = bytes(SECTOR_BYTES)
MASK64 = (1 << 64) - 1


def sector_bytes(block, sector, generation):
    tag = TAG.pack(MAGIC, block, sector, generation)
    seed = (block * 0x9E3779B97F4A7C15 ^ generation * 0xC2B2AE3D27D4EB4F ^ sector) & MASK64
    filler = (struct.pack("<Q", seed) * (FILLER_BYTES // 8 + 1))[:FILLER_BYTES]
    body = tag + filler
    return body + struct.pack("<I", zlib.crc32(body))


def block_bytes(block, generation):
    return b"".join(sector_bytes(block, s, generation) for s in range(SECTORS_PER_BLOCK))


def connect(uri):
    handle = nbd.NBD()
    handle.connect_uri(uri)
    return handle


def write(args):
    rng = random.Random(args.seed)
    handle = connect(args.uri)
    if not handle.can_flush() or not handle.can_fua():
        print("E the export offers no FLUSH or no FUA", flush=True)
        return 2
    # What a restarted server served must stay: this flush makes it durable before any write.
    handle.flush()
    print("ready", flush=True)

    stride = max(1, args.blocks // args.working_set)
    working_set = [(i * stride + rng.randrange(stride)) % args.blocks for i in range(args.working_set)]
    hot = working_set[: args.hot]
    generation = args.first_generation
    writes_in_flight = {}  # cookie -> (block, generation, fua)
    busy_blocks = set()
    completed_since_flush = []  # (block, generation) written but not yet covered by a flush
    flushes_in_flight = {}  # cookie -> the writes it covers
    writes = flushes = durable = 0
    writes_since_flush = 0
    deadline = time.monotonic() + args.seconds
    out = sys.stdout

    def durable_line(block, gen):
        nonlocal durable
        durable += 1
        out.write("D %d %d\n" % (block, gen))

    try:
        while time.monotonic() < deadline:
            while len(writes_in_flight) < args.queue_depth:
                pool = hot if rng.random() < 0.5 else working_set
                block = pool[rng.randrange(len(pool))]
                if block in busy_blocks:
                    break
                fua = rng.randrange(100) < args.fua_percent
                out.write("W %d %d\n" % (block, generation))
                buffer = nbd.Buffer.from_bytearray(block_bytes(block, generation))
                cookie = handle.aio_pwrite(
                    buffer, block * BLOCK_BYTES, flags=nbd.CMD_FLAG_FUA if fua else 0
                )
                writes_in_flight[cookie] = (block, generation, fua, buffer)
                busy_blocks.add(block)
                generation += 1
                writes += 1
                writes_since_flush += 1
            if writes_since_flush >= args.flush_every and completed_since_flush:
                # The flush covers exactly the writes whose replies arrived before it was sent.
                cookie = handle.aio_flush()
                flushes_in_flight[cookie] = completed_since_flush
                completed_since_flush = []
                writes_since_flush = 0
                flushes += 1
            handle.poll(-1)
            for cookie in [c for c in writes_in_flight if handle.aio_command_completed(c)]:
                block, gen, fua, _ = writes_in_flight.pop(cookie)
                busy_blocks.discard(block)
                if fua:
                    durable_line(block, gen)
                else:
                    completed_since_flush.append((block, gen))
            for cookie in [c for c in flushes_in_flight if handle.aio_command_completed(c)]:
                for block, gen in flushes_in_flight.pop(cookie):
                    durable_line(block, gen)
    except nbd.Error as error:
        if handle.aio_is_dead() or handle.aio_is_closed() or error.errno is None:
            out.write("end dead writes=%d flushes=%d durable=%d\n" % (writes, flushes, durable))
            return 0
        out.write("E %s (errno %s)\n" % (error.string, error.errno))
        return 2
    out.write("end time writes=%d flushes=%d durable=%d\n" % (writes, flushes, durable))
    return 0


def read(args):
    handle = connect(args.uri)
    size = handle.get_size()
    chunk_bytes = 1 << 20
    out = sys.stdout
    for chunk_offset in range(0, size, chunk_bytes):
        data = handle.pread(min(chunk_bytes, size - chunk_offset), chunk_offset)
        for within in range(0, len(data), BLOCK_BYTES):
            piece = data[within : within + BLOCK_BYTES]
            if piece == ZERO_BLOCK:
                continue
            block = (chunk_offset + within) // BLOCK_BYTES
            out.write(describe(block, piece) + "\n")
    handle.shutdown()
    return 0


def describe(block, piece):
    magic, tagged_block, _, generation = TAG.unpack_from(piece, 0)
    if magic == MAGIC and piece == block_bytes(tagged_block, generation):
        return "B %d %d %d" % (block, tagged_block, generation)
    generations = []
    for s in range(SECTORS_PER_BLOCK):
        sector = piece[s * SECTOR_BYTES : (s + 1) * SECTOR_BYTES]
        if sector == ZERO_SECTOR:
            generations.append("-")
            continue
        magic, tagged_block, tagged_sector, generation = TAG.unpack_from(sector, 0)
        if magic != MAGIC:
            return "G %d %d bad magic %s" % (block, s, sector[:8].hex())
        if tagged_sector != s:
            return "G %d %d holds sector %d of block %d" % (block, s, tagged_sector, tagged_block)
        if sector != sector_bytes(tagged_block, tagged_sector, generation):
            return "G %d %d bad checksum or filler" % (block, s)
        if tagged_block != block:
            return "G %d %d holds block %d generation %d" % (block, s, tagged_block, generation)
        generations.append(str(generation))
    return "T %d %s" % (block, " ".join(generations))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    w = commands.add_parser("write")
    w.add_argument("uri")
    w.add_argument("--first-generation", type=int, required=True)
    w.add_argument("--blocks", type=int, required=True)
    w.add_argument("--working-set", type=int, default=2048)
    w.add_argument("--hot", type=int, default=128)
    w.add_argument("--queue-depth", type=int, default=16)
    w.add_argument("--flush-every", type=int, default=32)
    w.add_argument("--fua-percent", type=int, default=5)
    w.add_argument("--seed", type=int, default=1)
    w.add_argument("--seconds", type=float, default=60)
    r = commands.add_parser("read")
    r.add_argument("uri")
    args = parser.parse_args()
    sys.exit(write(args) if args.command == "write" else read(args))


if __name__ == "__main__":
    main()
