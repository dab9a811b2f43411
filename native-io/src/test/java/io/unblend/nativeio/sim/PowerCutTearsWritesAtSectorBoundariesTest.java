package io.unblend.nativeio.sim;

import static io.unblend.nativeio.sim.OneAtATime.datasync;
import static io.unblend.nativeio.sim.OneAtATime.read;
import static io.unblend.nativeio.sim.OneAtATime.write;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.OpenFlag;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A multi-block write cut by a power failure leaves, in each 512-byte sector, either all of the new
 * data or all of the old, never bytes of another sector or of nothing at all.
 */
class PowerCutTearsWritesAtSectorBoundariesTest {
  private static final Path SEGMENT = Path.of("segment-0");
  private static final int SECTOR_BYTES = 512;
  private static final int SECTORS = 32;
  private static final int WRITE_BYTES = SECTORS * SECTOR_BYTES;
  private static final int OLD = 0;
  private static final int NEW = 1;

  private enum Outcome {
    ALL_OLD,
    ALL_NEW,
    NEW_PREFIX,
    SECTOR_MIX
  }

  @Test
  void eachSectorOfATornOverwriteHoldsAllOldOrAllNewData() throws Exception {
    Set<Outcome> outcomes = new HashSet<>();
    for (long seed = 0; seed < 200; seed++) {
      SimulatedDisk disk = new SimulatedDisk(4096, 1 << 20);
      try (Arena arena = Arena.ofConfined();
          SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
        IoFile file =
            engine.open(SEGMENT, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE, OpenFlag.DIRECT));
        write(engine, file, 0, tagged(arena, OLD));
        datasync(engine, file);
        write(engine, file, 0, tagged(arena, NEW));
        disk.powerCut(new SplittableRandom(seed));
      }
      outcomes.add(outcomeOf(survivingGenerations(disk)));
    }
    assertThat(outcomes).containsExactlyInAnyOrder(Outcome.values());
  }

  @Test
  void aTornExtendingWriteLeavesTheSizeAtASectorBoundary() throws Exception {
    Set<Long> sizes = new HashSet<>();
    for (long seed = 0; seed < 100; seed++) {
      SimulatedDisk disk = new SimulatedDisk(4096, 1 << 20);
      try (Arena arena = Arena.ofConfined();
          SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
        IoFile file =
            engine.open(SEGMENT, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE, OpenFlag.DIRECT));
        write(engine, file, 0, tagged(arena, NEW));
        disk.powerCut(new SplittableRandom(seed));
      }
      try (Arena arena = Arena.ofConfined();
          SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
        IoFile file = engine.open(SEGMENT, EnumSet.noneOf(OpenFlag.class));
        long sizeBytes = engine.sizeBytes(file);
        assertThat(sizeBytes % SECTOR_BYTES).isZero();
        MemorySegment buffer = arena.allocate(WRITE_BYTES, 4096);
        assertThat(read(engine, file, 0, buffer)).isEqualTo((int) sizeBytes);
        for (int sector = 0; sector < sizeBytes / SECTOR_BYTES; sector++) {
          byte[] bytes = buffer.asSlice(sector * SECTOR_BYTES, SECTOR_BYTES).toArray(JAVA_BYTE);
          assertThat(bytes).as("sector %d, seed %d", sector, seed).containsOnly(bytes[0]);
          assertThat(bytes[0]).isIn((byte) 0, tag(sector, NEW));
        }
        if (sizeBytes > 0) {
          assertThat(buffer.get(JAVA_BYTE, sizeBytes - 1)).isEqualTo(tag(sizeBytes / 512 - 1, NEW));
        }
        sizes.add(sizeBytes);
      }
    }
    assertThat(sizes).contains(0L, (long) WRITE_BYTES).hasSizeGreaterThan(3);
  }

  /** Reads the file back after the power cut: the generation each sector holds. */
  private static int[] survivingGenerations(SimulatedDisk disk) throws Exception {
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, EnumSet.of(OpenFlag.DIRECT));
      MemorySegment buffer = arena.allocate(WRITE_BYTES, 4096);
      assertThat(read(engine, file, 0, buffer)).isEqualTo(WRITE_BYTES);
      int[] generations = new int[SECTORS];
      for (int sector = 0; sector < SECTORS; sector++) {
        byte[] bytes = buffer.asSlice(sector * SECTOR_BYTES, SECTOR_BYTES).toArray(JAVA_BYTE);
        assertThat(bytes).as("sector %d", sector).containsOnly(bytes[0]);
        assertThat(bytes[0]).as("sector %d", sector).isIn(tag(sector, OLD), tag(sector, NEW));
        generations[sector] = bytes[0] == tag(sector, NEW) ? NEW : OLD;
      }
      return generations;
    }
  }

  private static Outcome outcomeOf(int[] generations) {
    int newSectors = 0;
    while (newSectors < SECTORS && generations[newSectors] == NEW) {
      newSectors++;
    }
    boolean restOld = true;
    for (int sector = newSectors; sector < SECTORS; sector++) {
      restOld &= generations[sector] == OLD;
    }
    if (!restOld) {
      return Outcome.SECTOR_MIX;
    }
    return newSectors == 0
        ? Outcome.ALL_OLD
        : newSectors == SECTORS ? Outcome.ALL_NEW : Outcome.NEW_PREFIX;
  }

  /** Every byte of a sector carries its position and generation, so a misplaced sector shows. */
  private static MemorySegment tagged(Arena arena, int generation) {
    MemorySegment buffer = arena.allocate(WRITE_BYTES, 4096);
    for (int sector = 0; sector < SECTORS; sector++) {
      buffer.asSlice(sector * SECTOR_BYTES, SECTOR_BYTES).fill(tag(sector, generation));
    }
    return buffer;
  }

  private static byte tag(long sector, int generation) {
    return (byte) (1 + sector * 2 + generation);
  }
}
