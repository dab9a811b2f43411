package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery reads the log in windows of a few MiB with the next one read ahead (LogWindows): batches
 * of every size replay after a crash, whether they fit a window, run past its end into the window
 * read ahead, or are larger than a window and than the room it carries over.
 */
class RecoveryReadsBatchesAcrossReadWindowsTest {
  private static final int SECTOR = 512;

  @TempDir Path folder;

  private record Written(long offsetBytes, int bytes, int generation) {}

  @Test
  void batchesOfEverySizeReplayAcrossWindowAndSegmentBoundaries() throws Exception {
    StoreConfiguration config =
        StoreFixtures.directory(folder.resolve("data"), 128 << 20)
            .segmentBytes(16 << 20)
            .batchBytesMax(6 << 20)
            .requestBytesMax(6 << 20)
            .inFlightBytesMax(32 << 20)
            .readsInFlightMax(8)
            .checkpointIntervalBytes(1L << 30)
            .build();
    // Sizes chosen so that batch ends fall all over the 4 MiB windows; 6 MiB is larger than a
    // window, 3 MiB larger than the 2 MiB carried over from one window to the next.
    int[] sizes = {
      1 << 20,
      700 << 10,
      300 << 10,
      6 << 20,
      64 << 10,
      (2 << 20) + SECTOR,
      900 << 10,
      4 << 10,
      3 << 20,
      1536 << 10,
      12 * SECTOR
    };
    List<Written> writes = new ArrayList<>();
    try (Arena arena = Arena.ofShared()) {
      Store store = Store.open(config);
      Volume volume = store.createVolume("v", 64 << 20);
      long offset = 0;
      int generation = 1;
      long logged = 0;
      while (logged < (40 << 20)) {
        int bytes = sizes[writes.size() % sizes.length];
        if (offset + bytes > volume.sizeBytes()) {
          offset = 0;
        }
        volume
            .write(
                offset,
                StoreFixtures.tagged(arena, 1, offset / SECTOR, bytes / SECTOR, generation),
                false)
            .get();
        writes.add(new Written(offset, bytes, generation));
        offset += bytes;
        logged += bytes;
        generation++;
      }
      volume.flush().get();
      store.abandon();

      try (Store reopened = Store.open(config)) {
        assertThat(reopened.recoveryReport().batchesReplayed())
            .as(reopened.recoveryReport().summary())
            .isGreaterThanOrEqualTo(writes.size());
        for (int i = 0; i < writes.size(); i++) {
          Written write = writes.get(i);
          if (overwrittenLater(writes, i)) {
            continue;
          }
          MemorySegment read = arena.allocate(write.bytes(), 4096);
          reopened.volume("v").read(write.offsetBytes(), read).get();
          MemorySegment expected =
              StoreFixtures.tagged(
                  arena,
                  1,
                  write.offsetBytes() / SECTOR,
                  write.bytes() / SECTOR,
                  write.generation());
          assertThat(read.mismatch(expected))
              .as("write %d of %d bytes", i, write.bytes())
              .isEqualTo(-1);
        }
      }
    }
  }

  private static boolean overwrittenLater(List<Written> writes, int index) {
    Written write = writes.get(index);
    for (int later = index + 1; later < writes.size(); later++) {
      Written other = writes.get(later);
      if (other.offsetBytes() < write.offsetBytes() + write.bytes()
          && write.offsetBytes() < other.offsetBytes() + other.bytes()) {
        return true;
      }
    }
    return false;
  }
}
