package io.unblend.logstore.core;

import io.unblend.logstore.BlockStatusRun;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.map.ExtentMap;
import java.util.ArrayList;
import java.util.List;

/**
 * The allocation runs of a range, built from the pieces a map visit reports in order: adjacent
 * pieces of one kind (data, allocated zeros, hole) become one run.
 */
public final class BlockStatusRuns {
  private final List<BlockStatusRun> runs = new ArrayList<>();

  /** Adds the next piece: {@code address} as {@link ExtentMap#forEach} reports it. */
  void add(long sectorCount, long address) {
    boolean hole = address == ExtentMap.HOLE;
    boolean zero = hole || address == ExtentMap.ZERO;
    long bytes = sectorCount * Bytes.SECTOR_BYTES;
    int last = runs.size() - 1;
    if (last >= 0 && runs.get(last).hole() == hole && runs.get(last).zero() == zero) {
      runs.set(last, new BlockStatusRun(runs.get(last).lengthBytes() + bytes, hole, zero));
    } else {
      runs.add(new BlockStatusRun(bytes, hole, zero));
    }
  }

  /** The runs so far, in order. */
  public List<BlockStatusRun> runs() {
    return runs;
  }
}
