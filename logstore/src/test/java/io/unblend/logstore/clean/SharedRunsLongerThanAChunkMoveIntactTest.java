package io.unblend.logstore.clean;

import static io.unblend.logstore.clean.CleanerFixtures.BLOCK;
import static io.unblend.logstore.clean.CleanerFixtures.LOG_BYTES;
import static io.unblend.logstore.clean.CleanerFixtures.awaitEvery;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.Volume;
import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A run of 40 sectors that a volume and its snapshot both map, in a segment that is otherwise dead,
 * is longer than the cleaner's chunks (16 sectors here) and not a multiple of them. When the
 * cleaner empties that segment, each map's piece is cut at the same chunk boundaries, and both maps
 * still read the run exactly.
 */
class SharedRunsLongerThanAChunkMoveIntactTest {
  private static final int RUN_BYTES = 20 << 10;
  private static final int FILLER_BYTES = 32 << 10;
  private static final long VOLUME_BYTES = 3 << 20;
  private static final long CHURN_FROM = 256 << 10;
  private static final int CHURN_BLOCKS = 576; // 2.25 MiB: over half the log stays live

  private final SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);
  private final StoreConfiguration config = CleanerFixtures.simulated(disk);

  @Test
  void bothMapsReadTheRunAfterTheCleanerMovedIt() throws Exception {
    try (Arena arena = Arena.ofShared();
        Store store = Store.open(config)) {
      Volume volume = store.createVolume("vm", VOLUME_BYTES);
      MemorySegment run = pattern(arena, RUN_BYTES, 1);
      volume.write(0, run, false).get();
      store.createSnapshot("vm", "s");
      // Filler after the run in the same segment, then overwritten: the segment keeps only the
      // shared run.
      volume.write(64 << 10, pattern(arena, FILLER_BYTES, 2), false).get();
      volume.write(96 << 10, pattern(arena, FILLER_BYTES, 3), false).get();
      volume.write(64 << 10, pattern(arena, FILLER_BYTES, 4), false).get();
      volume.write(96 << 10, pattern(arena, FILLER_BYTES, 5), false).get();

      // Random overwrites elsewhere leave segments partly live, so the cleaner has to work.
      Random random = new Random(3);
      List<CompletableFuture<Void>> inFlight = new ArrayList<>();
      for (int i = 0; i < 4 * LOG_BYTES / BLOCK; i++) {
        long offset = CHURN_FROM + (long) random.nextInt(CHURN_BLOCKS) * BLOCK;
        inFlight.add(volume.write(offset, pattern(arena, BLOCK, 6 + i), false));
        awaitEvery(inFlight, 16);
      }
      awaitEvery(inFlight, 1);
      assertThat(store.status().cleanerBytesWritten()).as("the cleaner moved data").isPositive();

      for (String name : List.of("vm", "vm@s")) {
        MemorySegment read = arena.allocate(RUN_BYTES, BLOCK);
        store.volume(name).read(0, read).get();
        assertThat(read.mismatch(run)).as("the run as %s reads it", name).isEqualTo(-1);
      }
    }
  }

  /** Bytes that differ in every 8-byte word and from one {@code tag} to the next. */
  private static MemorySegment pattern(Arena arena, int bytes, int tag) {
    MemorySegment data = arena.allocate(bytes, BLOCK);
    for (int word = 0; word < bytes; word += 8) {
      data.set(ValueLayout.JAVA_LONG_UNALIGNED, word, ((long) tag << 32) | word);
    }
    return data;
  }
}
