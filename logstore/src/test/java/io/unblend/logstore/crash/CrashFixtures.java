package io.unblend.logstore.crash;

import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import io.unblend.logstore.Volume;
import io.unblend.logstore.layout.Bytes;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stores and sector contents for the crash and corruption tests. The settings mirror {@code
 * StoreFixtures} of the parent package, which this package cannot see.
 */
final class CrashFixtures {
  /** Segments of the real-file stores: small, so a few megabytes of writes cross several. */
  static final int SEGMENT_BYTES = 1 << 20;

  /** Segments of the simulated stores. */
  static final int SIMULATED_SEGMENT_BYTES = 256 << 10;

  /** Checkpoints so rare that everything a test writes stays in the log, to be replayed. */
  static final long CHECKPOINT_NEVER_BYTES = 1L << 40;

  private static final int WORD_BYTES = Long.BYTES;
  private static final int TAG_BYTES = 4 * WORD_BYTES;
  private static final long NO_GENERATION = 0;
  private static final long AWAIT_SECONDS = 30;

  /** 64 KiB: the largest read the simulated stores accept. */
  private static final int READ_SECTORS_MAX = 128;

  private CrashFixtures() {}

  /** A store in a real directory with small segments. */
  static StoreConfiguration.Builder directory(Path directory, long logBytes) {
    return StoreConfiguration.at(new StoreLocation.Directory(directory))
        .logBytes(logBytes)
        .segmentBytes(SEGMENT_BYTES)
        .batchBytesMax(256 << 10)
        .requestBytesMax(512 << 10)
        .inFlightBytesMax(8 << 20)
        .readsInFlightMax(8)
        .checkpointIntervalBytes(4 << 20);
  }

  /** A store of {@code logBytes} on a simulated disk, with small segments and buffers. */
  static StoreConfiguration.Builder simulated(SimulatedDisk disk, long logBytes) {
    return StoreConfiguration.at(new StoreLocation.Directory(Path.of("/sim/store")))
        .locking(false)
        .logBytes(logBytes)
        .segmentBytes(SIMULATED_SEGMENT_BYTES)
        .batchBytesMax(64 << 10)
        .requestBytesMax(64 << 10)
        .inFlightBytesMax(1 << 20)
        .readsInFlightMax(8)
        .checkpointIntervalBytes(SIMULATED_SEGMENT_BYTES * 2L)
        .queueDepth(64)
        .engines(depth -> new SimulatedIoEngine(disk, depth));
  }

  /**
   * Sectors tagged with (volume, sector, generation), repeated through each sector with a check
   * word, so that a sector read from the wrong place, a torn sector or garbage is recognised.
   */
  static MemorySegment tagged(
      Arena arena, int volume, long firstSector, int sectors, long generation) {
    MemorySegment data = arena.allocate((long) sectors * Bytes.SECTOR_BYTES, Bytes.BLOCK_BYTES);
    for (int s = 0; s < sectors; s++) {
      long base = (long) s * Bytes.SECTOR_BYTES;
      long sector = firstSector + s;
      for (int word = 0; word < Bytes.SECTOR_BYTES; word += TAG_BYTES) {
        data.set(ValueLayout.JAVA_LONG_UNALIGNED, base + word, volume);
        data.set(ValueLayout.JAVA_LONG_UNALIGNED, base + word + WORD_BYTES, sector);
        data.set(ValueLayout.JAVA_LONG_UNALIGNED, base + word + 2 * WORD_BYTES, generation);
        data.set(
            ValueLayout.JAVA_LONG_UNALIGNED,
            base + word + 3 * WORD_BYTES,
            ~(volume ^ sector ^ generation));
      }
    }
    return data;
  }

  /**
   * What one sector holds: the tag it was written with, {@link #ZEROS} for a sector never written,
   * or {@link #isGarbage garbage} for anything else.
   */
  record Tag(long volume, long sector, long generation) {
    static final Tag ZEROS = new Tag(-1, -1, NO_GENERATION);
    static final Tag GARBAGE = new Tag(-2, -2, -1);

    boolean isZeros() {
      return this.equals(ZEROS);
    }

    boolean isGarbage() {
      return this.equals(GARBAGE);
    }

    /** Decodes sector {@code index} of {@code data}. */
    static Tag of(MemorySegment data, long index) {
      MemorySegment sector = data.asSlice(index * Bytes.SECTOR_BYTES, Bytes.SECTOR_BYTES);
      long volume = sector.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
      long number = sector.get(ValueLayout.JAVA_LONG_UNALIGNED, WORD_BYTES);
      long generation = sector.get(ValueLayout.JAVA_LONG_UNALIGNED, 2 * WORD_BYTES);
      long check = sector.get(ValueLayout.JAVA_LONG_UNALIGNED, 3 * WORD_BYTES);
      boolean zeros = volume == 0 && number == 0 && generation == 0 && check == 0;
      if (!zeros && check != ~(volume ^ number ^ generation)) {
        return GARBAGE;
      }
      MemorySegment first = sector.asSlice(0, TAG_BYTES);
      for (int word = TAG_BYTES; word < Bytes.SECTOR_BYTES; word += TAG_BYTES) {
        if (sector.asSlice(word, TAG_BYTES).mismatch(first) != -1) {
          return GARBAGE;
        }
      }
      return zeros ? ZEROS : new Tag(volume, number, generation);
    }

    @Override
    public String toString() {
      if (isZeros()) {
        return "zeros";
      }
      if (isGarbage()) {
        return "garbage";
      }
      return "volume " + volume + " sector " + sector + " generation " + generation;
    }
  }

  /**
   * Reads {@code sectors} sectors at {@code firstSector} and decodes each. The buffer is shared:
   * the storage thread copies into it.
   */
  static Tag[] readTags(Volume volume, long firstSector, int sectors) throws Exception {
    MemorySegment data =
        Arena.ofAuto().allocate((long) sectors * Bytes.SECTOR_BYTES, Bytes.BLOCK_BYTES);
    await(volume.read(firstSector * Bytes.SECTOR_BYTES, data));
    Tag[] tags = new Tag[sectors];
    for (int s = 0; s < sectors; s++) {
      tags[s] = Tag.of(data, s);
    }
    return tags;
  }

  /**
   * The generation each of {@code sectors} sectors at {@code firstSector} holds (0: zeros), read in
   * pieces small enough for any store of these tests. Fails on a sector with another sector's tag
   * or garbage.
   */
  static long[] generations(Volume volume, long firstSector, int sectors) throws Exception {
    long[] generations = new long[sectors];
    for (int done = 0; done < sectors; done += READ_SECTORS_MAX) {
      int count = Math.min(READ_SECTORS_MAX, sectors - done);
      Tag[] tags = readTags(volume, firstSector + done, count);
      for (int s = 0; s < count; s++) {
        long sector = firstSector + done + s;
        Tag tag = tags[s];
        if (tag.isGarbage()
            || (!tag.isZeros() && (tag.volume() != volume.id() || tag.sector() != sector))) {
          throw new AssertionError(
              volume + " sector " + sector + " holds " + tag + ", not its own data");
        }
        generations[done + s] = tag.generation();
      }
    }
    return generations;
  }

  /**
   * Waits for a store operation, failing rather than hanging when the store never answers (a
   * storage thread that died must not stall the whole test run).
   */
  static <T> T await(CompletableFuture<T> future) throws Exception {
    try {
      return future.get(AWAIT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the store did not answer within " + AWAIT_SECONDS + " s", e);
    }
  }

  /** {@code count} copies of {@code generation}, for comparing with {@link #generations}. */
  static long[] repeated(long generation, int count) {
    long[] generations = new long[count];
    Arrays.fill(generations, generation);
    return generations;
  }
}
