package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batches as large as the batch limit (bigger than recovery's first read buffer) replay after a
 * crash: recovery grows its buffer without losing the header block it read first.
 */
class RecoveryReplaysFullSizeBatchesTest {
  @TempDir Path folder;

  @Test
  void fullOneMebibyteBatchesAreReplayed() throws Exception {
    StoreConfiguration config =
        StoreFixtures.directory(folder.resolve("data"), 64 << 20)
            .segmentBytes(8 << 20)
            .batchBytesMax(1 << 20)
            .requestBytesMax(1 << 20)
            .checkpointIntervalBytes(1L << 30)
            .build();
    try (Arena arena = Arena.ofShared()) {
      Store store = Store.open(config);
      Volume volume = store.createVolume("v", 16 << 20);
      for (int i = 0; i < 4; i++) {
        volume
            .write((long) i << 20, StoreFixtures.tagged(arena, 1, i * 2048L, 2048, i + 1), false)
            .get();
      }
      volume.flush().get();
      store.abandon();

      try (Store reopened = Store.open(config)) {
        assertThat(reopened.recoveryReport().batchesReplayed()).isGreaterThanOrEqualTo(4);
        for (int i = 0; i < 4; i++) {
          MemorySegment read = arena.allocate(1 << 20, 4096);
          reopened.volume("v").read((long) i << 20, read).get();
          assertThat(read.mismatch(StoreFixtures.tagged(arena, 1, i * 2048L, 2048, i + 1)))
              .as("mebibyte %d", i)
              .isEqualTo(-1);
        }
      }
    }
  }
}
