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

The last column places hot/cold writes with an oracle: client writes to the hot 20 % of the
blocks get a head of their own, client writes to the cold 80 % the client head, moved blocks the
cold head. No real cleaner knows a block's temperature this well.

It answers one question: which of issue 5's targets any cleaner of this shape could meet. A
second table gives the analytic model of greedy (or FIFO) cleaning under uniform random writes
(Desnoyers 2012, "Analytic modeling of SSD write performance"; Hu et al. 2009): a victim's live
fraction x solves x = exp(-(1 - x) / u) at utilisation u, and WA = 1 / (1 - x). For hot/cold it
gives the WA of a perfect split into a hot and a cold partition, each cleaned on its own, with
the spare space divided between them in the best way: 0.8 WA(u_hot) + 0.2 WA(u_cold).

usage: bench/cleaner-simulation.py   (about a minute; prints two Markdown tables)
"""
import math
import random

SEGMENTS = 128
BLOCKS_PER_SEGMENT = 1024
LAPS = 5


def client_head(block, hot_blocks, placement):
    if placement == "oracle" and block < hot_blocks:
        return "hot"
    return "client"


def simulate(util, free_target, policy, hot_cold, placement="two heads", seed=1):
    rnd = random.Random(seed)
    blocks = int(SEGMENTS * BLOCKS_PER_SEGMENT * util)
    hot_blocks = blocks // 5
    where = [-1] * blocks
    members = [set() for _ in range(SEGMENTS)]
    written_at = [0] * SEGMENTS
    free = list(range(SEGMENTS))
    heads = {"client": [free.pop(0), 0], "hot": [None, 0], "cold": [None, 0]}
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
        append(block, client_head(block, hot_blocks, placement))
        counted["client"] += counting
        while len(free) < free_target:
            for moved in list(members[victim()]):
                append(moved, "cold")
                counted["moved"] += counting
    return 1 + counted["moved"] / counted["client"]


def victim_live_fraction(util):
    """The root in (0, 1) of x = exp(-(1 - x) / util), by bisection (x = 1 is the other root)."""
    low, high = 0.0, 1.0 - 1e-15
    for _ in range(200):
        x = (low + high) / 2
        if x < math.exp(-(1 - x) / util):
            low = x
        else:
            high = x
    return low


def greedy_wa(util):
    return 1 / (1 - victim_live_fraction(util))


def best_hot_cold_split(util, hot_share=0.2, hot_writes=0.8, steps=10000):
    """Perfectly separated hot and cold data, spare space split between them as well as it can be.

    Returns (WA, hot partition's utilisation, cold partition's utilisation)."""
    spare = 1 / util - 1
    best = None
    for step in range(1, steps):
        hot_spare = spare * step / steps
        hot_util = hot_share / (hot_share + hot_spare)
        cold_util = (1 - hot_share) / (1 - hot_share + spare - hot_spare)
        wa = hot_writes * greedy_wa(hot_util) + (1 - hot_writes) * greedy_wa(cold_util)
        if best is None or wa < best[0]:
            best = (wa, hot_util, cold_util)
    return best


def print_simulation():
    print(f"Ideal cleaner, {SEGMENTS} segments of {BLOCKS_PER_SEGMENT} blocks, last of {LAPS} laps")
    print()
    print("| policy | free segments kept | uniform 50 % | uniform 80 % | hot/cold 80 % "
          "| hot/cold 80 %, oracle separation |")
    print("|---|---:|---:|---:|---:|---:|")
    for policy in ("greedy", "cost-benefit"):
        for free_target in (2, 3, 8):
            row = [
                simulate(0.5, free_target, policy, False),
                simulate(0.8, free_target, policy, False),
                simulate(0.8, free_target, policy, True),
                simulate(0.8, free_target, policy, True, "oracle"),
            ]
            cells = " | ".join(f"{wa:.2f}" for wa in row)
            print(f"| {policy} | {free_target} | {cells} |", flush=True)


def print_analysis():
    kept_free = 3
    fill = 0.8 * SEGMENTS / (SEGMENTS - kept_free)
    wa, hot_util, cold_util = best_hot_cold_split(0.8)
    print("Analytic model of greedy/FIFO cleaning (Desnoyers 2012; Hu et al. 2009)")
    print()
    print("| workload | utilisation | WA |")
    print("|---|---:|---:|")
    print(f"| uniform | 50 % | {greedy_wa(0.5):.3f} |")
    print(f"| uniform | 80 % | {greedy_wa(0.8):.3f} |")
    print(f"| uniform, 80 % of the log over the {SEGMENTS - kept_free} segments not kept free "
          f"| {100 * fill:.1f} % | {greedy_wa(fill):.3f} |")
    print(f"| hot/cold 80/20, perfectly separated, best split of the spare space "
          f"(hot {100 * hot_util:.1f} %, cold {100 * cold_util:.1f} % full) | 80 % | {wa:.3f} |")


def main():
    print_simulation()
    print()
    print_analysis()


if __name__ == "__main__":
    main()
