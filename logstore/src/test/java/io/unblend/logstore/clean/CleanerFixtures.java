package io.unblend.logstore.clean;

import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The cleaner tests' small store, block contents and write pacing. */
final class CleanerFixtures {
  static final int BLOCK = 4096;

  /** The simulated store's log: 32 segments of 128 KiB, cleaner chunks of 16 sectors. */
  static final long LOG_BYTES = 4 << 20;

  private CleanerFixtures() {}

  /** A store of {@link #LOG_BYTES} on {@code disk}, small enough that the cleaner works soon. */
  static StoreConfiguration simulated(SimulatedDisk disk) {
    return StoreConfiguration.at(new StoreLocation.Directory(Path.of("/sim/store")))
        .locking(false)
        .logBytes(LOG_BYTES)
        .segmentBytes(128 << 10)
        .batchBytesMax(32 << 10)
        .requestBytesMax(64 << 10)
        .inFlightBytesMax(1 << 20)
        .readsInFlightMax(8)
        .checkpointIntervalBytes(512 << 10)
        .cleanerInFlightBytes(64 << 10)
        .queueDepth(64)
        .engines(depth -> new SimulatedIoEngine(disk, depth))
        .build();
  }

  /** A block whose every word names the block and the generation written. */
  static MemorySegment tagged(Arena arena, int block, int generation) {
    MemorySegment data = arena.allocate(BLOCK, BLOCK);
    for (int word = 0; word < BLOCK; word += 8) {
      data.set(ValueLayout.JAVA_LONG_UNALIGNED, word, ((long) block << 32) | generation);
    }
    return data;
  }

  /** Waits for the writes in flight once there are {@code count} of them, and forgets them. */
  static void awaitEvery(List<CompletableFuture<Void>> inFlight, int count) throws Exception {
    if (inFlight.size() >= count) {
      for (CompletableFuture<Void> write : inFlight) {
        write.get();
      }
      inFlight.clear();
    }
  }
}
