package io.unblend.logstore.clean;

import static io.unblend.logstore.clean.CleanerFixtures.BLOCK;
import static io.unblend.logstore.clean.CleanerFixtures.LOG_BYTES;
import static io.unblend.logstore.clean.CleanerFixtures.awaitEvery;
import static io.unblend.logstore.clean.CleanerFixtures.tagged;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreStatus;
import io.unblend.logstore.Volume;
import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random 4 KiB overwrites of several times the log's capacity succeed while the live data fits: the
 * cleaner empties segments as the writes go on, and moved data (of the volume and of snapshots that
 * share it, one of them in runs longer than the cleaner's chunks) reads back exactly, before and
 * after a restart and a power cut; whether the cleaner searches segments for live data on the
 * storage thread or on its own, over frozen copies of the maps.
 */
class CleanerKeepsOverwritesGoingTest {
  private static final int VOLUME_BLOCKS = 256; // 1 MiB: a quarter of the log
  private static final int FILL_BLOCKS = 5;

  private final SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);

  @ParameterizedTest(name = "search on the cleaner''s own thread: {0}")
  @ValueSource(booleans = {false, true})
  void overwritesOfFourTimesTheLogSucceedAndEveryBlockReadsBack(boolean searchInBackground)
      throws Exception {
    StoreConfiguration config =
        CleanerFixtures.simulated(disk).toBuilder()
            .cleanerInlineSearchExtents(searchInBackground ? 0 : Long.MAX_VALUE)
            .build();
    int[] generation = new int[VOLUME_BLOCKS];
    int[] atSnapshot = null;
    Random random = new Random(42);
    try (Arena arena = Arena.ofShared()) {
      Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
      Store store = Store.open(config);
      Volume volume = store.createVolume("vm", (long) VOLUME_BLOCKS * BLOCK);
      // Written through in 20 KiB writes, two runs in three overwritten, then frozen: the
      // segments left hold runs that two maps share, longer than the cleaner's chunks (8 KiB
      // here) and not a multiple of them, and are mostly dead, so the cleaner moves them soon.
      for (int block = 0; block < VOLUME_BLOCKS; block += FILL_BLOCKS) {
        int blocks = Math.min(FILL_BLOCKS, VOLUME_BLOCKS - block);
        MemorySegment run = arena.allocate((long) blocks * BLOCK, BLOCK);
        for (int b = 0; b < blocks; b++) {
          generation[block + b] = 1;
          run.asSlice((long) b * BLOCK, BLOCK).copyFrom(tagged(arena, block + b, 1));
        }
        volume.write((long) block * BLOCK, run, false).get();
      }
      for (int block = 0; block < VOLUME_BLOCKS; block++) {
        if (block / FILL_BLOCKS % 3 != 0) {
          generation[block]++;
          volume.write((long) block * BLOCK, tagged(arena, block, generation[block]), false).get();
        }
      }
      store.createSnapshot("vm", "full");
      int[] atFull = generation.clone();
      long total = 4 * LOG_BYTES / BLOCK;
      List<CompletableFuture<Void>> inFlight = new ArrayList<>();
      for (long i = 0; i < total; i++) {
        int block = random.nextInt(VOLUME_BLOCKS);
        generation[block]++;
        inFlight.add(
            volume.write((long) block * BLOCK, tagged(arena, block, generation[block]), false));
        awaitEvery(inFlight, 16);
        if (i == total / 4) {
          // The cleaner has moved the runs by now; the snapshot is deleted to make room.
          assertThat(store.status().cleanerBytesWritten()).isPositive();
          List<String> started =
              Thread.getAllStackTraces().keySet().stream()
                  .filter(thread -> !threadsBefore.contains(thread))
                  .map(Thread::getName)
                  .toList();
          if (searchInBackground) {
            assertThat(started).as("threads the store started").contains("unblend-cleaner");
          } else {
            assertThat(started).as("threads the store started").doesNotContain("unblend-cleaner");
          }
          assertSnapshot(arena, store.volume("vm@full"), atFull);
          store.deleteSnapshot("vm", "full");
        }
        if (i == total / 2) {
          awaitEvery(inFlight, 1);
          store.createSnapshot("vm", "half");
          atSnapshot = generation.clone();
        }
      }
      awaitEvery(inFlight, 1);
      StoreStatus status = store.status();
      assertThat(status.cleanerBytesWritten()).isPositive();
      assertThat(status.writeAmplification()).isGreaterThan(1.0);
      assertAll(arena, store, generation, atSnapshot);
      volume.flush().get();
      store.abandon();
      disk.powerCutLosingAllUnsynced();

      try (Store reopened = Store.open(config)) {
        assertAll(arena, reopened, generation, atSnapshot);
      }
      try (Store reopened = Store.open(config)) {
        assertAll(arena, reopened, generation, atSnapshot);
      }
    }
  }

  private static void assertSnapshot(Arena arena, Volume snapshot, int[] generation)
      throws Exception {
    MemorySegment read = arena.allocate(BLOCK, BLOCK);
    for (int block = 0; block < VOLUME_BLOCKS; block++) {
      snapshot.read((long) block * BLOCK, read).get();
      assertThat(read.mismatch(tagged(arena, block, generation[block])))
          .as("vm@full block %d generation %d", block, generation[block])
          .isEqualTo(-1);
    }
  }

  private static void assertAll(Arena arena, Store store, int[] generation, int[] atSnapshot)
      throws Exception {
    MemorySegment read = arena.allocate(BLOCK, BLOCK);
    for (int block = 0; block < VOLUME_BLOCKS; block++) {
      store.volume("vm").read((long) block * BLOCK, read).get();
      assertThat(read.mismatch(tagged(arena, block, generation[block])))
          .as("vm block %d generation %d", block, generation[block])
          .isEqualTo(-1);
      store.volume("vm@half").read((long) block * BLOCK, read).get();
      MemorySegment expected =
          atSnapshot[block] == 0 ? arena.allocate(BLOCK) : tagged(arena, block, atSnapshot[block]);
      assertThat(read.mismatch(expected))
          .as("vm@half block %d generation %d", block, atSnapshot[block])
          .isEqualTo(-1);
    }
  }
}
