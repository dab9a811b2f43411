#!/usr/bin/env python3
"""What an ideal cleaner could reach: write amplification of a log-structured store in simulation.

A model of unblend's log without any of its costs (no batch headers, no checkpoints, no partly
filled segments, cleaning instant): a volume of 4 KiB blocks fills UTIL of a log of SEGMENTS
segments of 1 024 blocks; client writes go to a client head, the live blocks of cleaned segments
to a cold head (ADR 0007); whenever fewer than FREE segments are free, the segment with the best
score is cleaned: greedy (least live) or cost-benefit ((1 - u) * age / (1 + u), as the cleaner
in logstore/core/Cleaner.java). Write amplification = (client + moved blocks) / client blocks,
over the last of LAPS overwrites of the volume, uniform or 80/20 hot/cold (80 % of writes to 20 %
of the blocks), as bench/snapshots-and-cleaning.sh (c) measures it.

It answers one question: which of issue 5's targets any cleaner of this shape could meet. Greedy
cleaning of uniform random writes is well studied (Desnoyers 2012; Hu et al. 2009): at 80 %
full it cannot go below about 2.5, whatever the segment choice.

usage: bench/cleaner-simulation.py   (about 5 minutes; prints a Markdown table)
"""
import random

SEGMENTS = 128
BLOCKS_PER_SEGMENT = 1024
LAPS = 5


def simulate(util, free_target, policy, hot_cold, seed=1):
    rnd = random.Random(seed)
    blocks = int(SEGMENTS * BLOCKS_PER_SEGMENT * util)
    hot_blocks = blocks // 5
    where = [-1] * blocks
    members = [set() for _ in range(SEGMENTS)]
    written_at = [0] * SEGMENTS
    free = list(range(SEGMENTS))
    heads = {"client": [free.pop(0), 0], "cold": [None, 0]}
    clock = 0
    counted = {"client": 0, "moved": 0}
    counting = False

    def append(block, head):
        nonlocal clock
        clock += 1
        at = heads[head]
        if at[0] is None or at[1] == BLOCKS_PER_SEGMENT:
            at[0], at[1] = free.pop(0), 0
        segment = at[0]
        at[1] += 1
        old = where[block]
        if old >= 0:
            members[old].discard(block)
            if not members[old] and all(old != h[0] for h in heads.values()):
                free.append(old)
        where[block] = segment
        members[segment].add(block)
        written_at[segment] = clock

    def victim():
        best, best_score = None, -1.0
        for segment in range(SEGMENTS):
            if not members[segment] or any(segment == h[0] for h in heads.values()):
                continue
            used = len(members[segment]) / BLOCKS_PER_SEGMENT
            if policy == "greedy":
                score = 1 - used
            else:
                score = (1 - used) * (clock - written_at[segment]) / (1 + used)
            if score > best_score:
                best, best_score = segment, score
        return best

    for block in range(blocks):
        append(block, "client")
    for write in range(blocks * LAPS):
        counting = write >= blocks * (LAPS - 1)
        if hot_cold and rnd.random() < 0.8:
            block = rnd.randrange(hot_blocks)
        elif hot_cold:
            block = hot_blocks + rnd.randrange(blocks - hot_blocks)
        else:
            block = rnd.randrange(blocks)
        append(block, "client")
        counted["client"] += counting
        while len(free) < free_target:
            for moved in list(members[victim()]):
                append(moved, "cold")
                counted["moved"] += counting
    return 1 + counted["moved"] / counted["client"]


def main():
    print(f"Ideal cleaner, {SEGMENTS} segments of {BLOCKS_PER_SEGMENT} blocks, last of {LAPS} laps")
    print()
    print("| policy | free segments kept | uniform 50 % | uniform 80 % | hot/cold 80 % |")
    print("|---|---:|---:|---:|---:|")
    for policy in ("greedy", "cost-benefit"):
        for free_target in (2, 3, 8):
            row = [
                simulate(0.5, free_target, policy, False),
                simulate(0.8, free_target, policy, False),
                simulate(0.8, free_target, policy, True),
            ]
            cells = " | ".join(f"{wa:.2f}" for wa in row)
            print(f"| {policy} | {free_target} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
