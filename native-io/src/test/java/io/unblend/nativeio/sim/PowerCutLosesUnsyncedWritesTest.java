package io.unblend.nativeio.sim;

import static io.unblend.nativeio.sim.OneAtATime.datasync;
import static io.unblend.nativeio.sim.OneAtATime.filled;
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

class PowerCutLosesUnsyncedWritesTest {
  private static final Path SEGMENT = Path.of("segment-0");
  private static final int BLOCK_BYTES = 4096;

  @Test
  void strictPowerCutLosesEveryUnsyncedWriteAndItsSizeGrowth() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file =
          engine.open(SEGMENT, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE, OpenFlag.DIRECT));
      assertThat(write(engine, file, 0, filled(arena, BLOCK_BYTES, 0x11))).isEqualTo(BLOCK_BYTES);
      assertThat(datasync(engine, file)).isZero();
      write(engine, file, 0, filled(arena, BLOCK_BYTES, 0x22));
      write(engine, file, BLOCK_BYTES, filled(arena, BLOCK_BYTES, 0x33));
      assertThat(engine.sizeBytes(file)).isEqualTo(2 * BLOCK_BYTES);

      disk.powerCutLosingAllUnsynced();
    }
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, EnumSet.of(OpenFlag.DIRECT));
      assertThat(engine.sizeBytes(file)).isEqualTo(BLOCK_BYTES);
      MemorySegment buffer = filled(arena, 2 * BLOCK_BYTES, 0);
      assertThat(read(engine, file, 0, buffer)).isEqualTo(BLOCK_BYTES);
      assertThat(buffer.asSlice(0, BLOCK_BYTES).toArray(JAVA_BYTE)).containsOnly((byte) 0x11);
    }
  }

  @Test
  void randomPowerCutKeepsASingleSectorWriteWholeOrLosesItWhole() throws Exception {
    Set<Byte> survivors = new HashSet<>();
    for (long seed = 0; seed < 40; seed++) {
      SimulatedDisk disk = new SimulatedDisk(512, 1 << 20);
      try (Arena arena = Arena.ofConfined();
          SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
        IoFile file = engine.open(SEGMENT, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
        write(engine, file, 0, filled(arena, 512, 0x11));
        datasync(engine, file);
        write(engine, file, 0, filled(arena, 512, 0x22));
        disk.powerCut(new SplittableRandom(seed));
      }
      try (Arena arena = Arena.ofConfined();
          SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
        IoFile file = engine.open(SEGMENT, EnumSet.noneOf(OpenFlag.class));
        MemorySegment buffer = filled(arena, 512, 0);
        assertThat(read(engine, file, 0, buffer)).isEqualTo(512);
        byte first = buffer.get(JAVA_BYTE, 0);
        assertThat(buffer.toArray(JAVA_BYTE)).containsOnly(first);
        survivors.add(first);
      }
    }
    assertThat(survivors).containsExactlyInAnyOrder((byte) 0x11, (byte) 0x22);
  }
}
