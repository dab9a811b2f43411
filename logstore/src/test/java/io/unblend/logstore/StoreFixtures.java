package io.unblend.logstore;

import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/** Small stores for tests: on a simulated disk, or in a real directory. */
final class StoreFixtures {
  static final int SEGMENT_BYTES = 256 << 10;

  private StoreFixtures() {}

  /** A store of {@code logBytes} on a simulated disk, with small segments and buffers. */
  static StoreConfiguration.Builder simulated(SimulatedDisk disk, long logBytes) {
    return StoreConfiguration.at(new StoreLocation.Directory(Path.of("/sim/store")))
        .locking(false)
        .logBytes(logBytes)
        .segmentBytes(SEGMENT_BYTES)
        .batchBytesMax(64 << 10)
        .requestBytesMax(64 << 10)
        .inFlightBytesMax(1 << 20)
        .readsInFlightMax(8)
        .checkpointIntervalBytes(SEGMENT_BYTES * 2L)
        .queueDepth(64)
        .engines(depth -> new SimulatedIoEngine(disk, depth));
  }

  /** A store in a real directory with small segments. */
  static StoreConfiguration.Builder directory(Path directory, long logBytes) {
    return StoreConfiguration.at(new StoreLocation.Directory(directory))
        .logBytes(logBytes)
        .segmentBytes(1 << 20)
        .batchBytesMax(256 << 10)
        .requestBytesMax(512 << 10)
        .inFlightBytesMax(8 << 20)
        .readsInFlightMax(8)
        .checkpointIntervalBytes(4 << 20);
  }

  /** Sectors tagged with (volume, sector, generation), so a misplaced sector is recognised. */
  static MemorySegment tagged(
      Arena arena, int volume, long firstSector, int sectors, long generation) {
    MemorySegment data = arena.allocate((long) sectors * 512, 4096);
    for (int s = 0; s < sectors; s++) {
      long base = (long) s * 512;
      for (int word = 0; word < 512; word += 32) {
        data.set(ValueLayout.JAVA_LONG_UNALIGNED, base + word, volume);
        data.set(ValueLayout.JAVA_LONG_UNALIGNED, base + word + 8, firstSector + s);
        data.set(ValueLayout.JAVA_LONG_UNALIGNED, base + word + 16, generation);
        data.set(
            ValueLayout.JAVA_LONG_UNALIGNED,
            base + word + 24,
            ~(volume ^ (firstSector + s) ^ generation));
      }
    }
    return data;
  }
}
