package io.unblend.nbd.crash;

import io.unblend.nbd.crash.TaggedBlockClient.Observation;
import io.unblend.nbd.crash.TaggedBlockClient.WriterLog;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What each block may hold after a crash, from what the writers were told.
 *
 * <p>Generations are unique and increase over the whole test, and the writer never has two writes
 * to one block in flight, so each block's writes happen in generation order. After a crash a block
 * must read one of:
 *
 * <ul>
 *   <li>what the server served after the previous restart (the writer's opening FLUSH made that
 *       durable, so it may not vanish in a later crash), or a generation written to the block
 *       since;
 *   <li>and never older than the newest generation the writer was told is durable (its FUA reply,
 *       or the reply of a FLUSH sent after the write's reply);
 *   <li>zeros only if nothing was ever durable there.
 * </ul>
 *
 * A generation written before the previous restart that the restarted server did not serve must not
 * come back later: that would be stale log contents resurrected.
 */
final class DurabilityModel {
  /** What the server served for each block after the last restart (absent: zeros). */
  private final Map<Integer, Long> served = new HashMap<>();

  /** The newest generation of each block that the writer was told is durable since then. */
  private final Map<Integer, Long> durableSinceRestart = new HashMap<>();

  /** The generations written to each block since the last restart. */
  private final Map<Integer, Set<Long>> writtenSinceRestart = new HashMap<>();

  private long nextGeneration = 1;
  private long durableWrites;
  private long writes;

  long nextGeneration() {
    return nextGeneration;
  }

  long durableWrites() {
    return durableWrites;
  }

  long writes() {
    return writes;
  }

  /** Adds what one writer run sent and was told is durable. */
  void record(WriterLog log) {
    for (long[] write : log.written()) {
      writtenSinceRestart.computeIfAbsent((int) write[0], block -> new HashSet<>()).add(write[1]);
      writes++;
    }
    for (long[] durable : log.durable()) {
      durableSinceRestart.merge((int) durable[0], durable[1], Math::max);
      durableWrites++;
    }
    nextGeneration = Math.max(nextGeneration, log.lastGeneration() + 1);
  }

  /** Every way the blocks a restarted server serves break the contract; empty when none. */
  List<String> problems(Map<Integer, Observation> observations) {
    Set<Integer> blocks = new TreeSet<>(observations.keySet());
    blocks.addAll(served.keySet());
    blocks.addAll(durableSinceRestart.keySet());
    List<String> problems = new ArrayList<>();
    for (int block : blocks) {
      String problem = problem(block, observations.get(block));
      if (problem != null) {
        problems.add(problem);
      }
    }
    return problems;
  }

  private String problem(int block, Observation observation) {
    Long previouslyServed = served.get(block);
    Long durable = durableSinceRestart.get(block);
    Long floor = durable != null ? durable : previouslyServed;
    String expected =
        "; durable: "
            + (floor == null ? "nothing" : "generation " + floor)
            + ", written since the last restart: "
            + new TreeSet<>(writtenSinceRestart.getOrDefault(block, Set.of()));
    if (observation == null) {
      return floor == null ? null : "block " + block + " reads zeros" + expected;
    }
    if (observation.kind() == Observation.GARBAGE) {
      return "block " + block + " holds garbage (" + observation.line() + ")" + expected;
    }
    if (observation.kind() == Observation.TORN) {
      // A 4 KiB write is logged whole in one checksummed batch, so it must come back whole too.
      return "block " + block + " is torn (" + observation.line() + ")" + expected;
    }
    if (observation.taggedBlock() != block) {
      return "block "
          + block
          + " holds block "
          + observation.taggedBlock()
          + "'s data (generation "
          + observation.generation()
          + ")"
          + expected;
    }
    long generation = observation.generation();
    boolean allowed =
        (previouslyServed != null && generation == previouslyServed)
            || writtenSinceRestart.getOrDefault(block, Set.of()).contains(generation);
    if (!allowed) {
      return "block "
          + block
          + " reads generation "
          + generation
          + ", which was not written to it since the last restart (stale or resurrected)"
          + expected;
    }
    if (floor != null && generation < floor) {
      return "block "
          + block
          + " reads generation "
          + generation
          + ", older than the durable generation "
          + floor
          + expected;
    }
    return null;
  }

  /** What the restarted server served becomes the state the next run starts from. */
  void restartedServing(Map<Integer, Observation> observations) {
    served.clear();
    for (Observation observation : observations.values()) {
      served.put(observation.block(), observation.generation());
    }
    durableSinceRestart.clear();
    writtenSinceRestart.clear();
  }
}
