package io.unblend.logstore.core;

import io.unblend.logstore.ChangedRun;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.map.ExtentMap;
import io.unblend.logstore.map.ExtentMapDiff;
import java.util.ArrayList;
import java.util.List;

/** The runs where a volume's map differs from an older snapshot's, for incremental backups. */
final class ChangedBlocks {
  private ChangedBlocks() {}

  /**
   * @param baseEndSector the base's size: sectors from there on did not exist in it and count as
   *     changed
   */
  static List<ChangedRun> between(
      ExtentMap base, long baseEndSector, ExtentMap current, long startSector, long sectorCount) {
    long end = startSector + sectorCount;
    long comparedEnd = Math.max(startSector, Math.min(end, baseEndSector));
    List<ChangedRun> runs = new ArrayList<>();
    long[] position = {startSector};
    ExtentMapDiff.differences(
        base,
        current,
        startSector,
        comparedEnd - startSector,
        (start, count, address) -> {
          add(runs, start - position[0], false);
          add(runs, count, true);
          position[0] = start + count;
        });
    add(runs, comparedEnd - position[0], false);
    add(runs, end - comparedEnd, true);
    return runs;
  }

  private static void add(List<ChangedRun> runs, long sectors, boolean changed) {
    if (sectors == 0) {
      return;
    }
    long bytes = sectors * Bytes.SECTOR_BYTES;
    int last = runs.size() - 1;
    if (last >= 0 && runs.get(last).changed() == changed) {
      runs.set(last, new ChangedRun(runs.get(last).lengthBytes() + bytes, changed));
    } else {
      runs.add(new ChangedRun(bytes, changed));
    }
  }
}
