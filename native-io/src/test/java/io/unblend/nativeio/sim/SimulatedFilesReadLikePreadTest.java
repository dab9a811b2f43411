package io.unblend.nativeio.sim;

import static io.unblend.nativeio.sim.OneAtATime.fallocate;
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
import org.junit.jupiter.api.Test;

class SimulatedFilesReadLikePreadTest {
  private static final Path SEGMENT = Path.of("segment-0");

  @Test
  void readsSeeUnsyncedWritesAndZerosWhereNothingWasWritten() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
      assertThat(fallocate(engine, file, 0, 0, 8192)).isZero();
      assertThat(write(engine, file, 100, filled(arena, 200, 0x11))).isEqualTo(200);

      MemorySegment buffer = filled(arena, 8192, 0x7f);
      assertThat(read(engine, file, 0, buffer)).isEqualTo(8192);
      assertThat(buffer.asSlice(0, 100).toArray(JAVA_BYTE)).containsOnly((byte) 0);
      assertThat(buffer.asSlice(100, 200).toArray(JAVA_BYTE)).containsOnly((byte) 0x11);
      assertThat(buffer.asSlice(300).toArray(JAVA_BYTE)).containsOnly((byte) 0);
    }
  }

  @Test
  void aReadAcrossTheEndOfTheFileIsShortAndAReadPastItReturnsZero() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
      write(engine, file, 0, filled(arena, 6000, 0x11));

      assertThat(read(engine, file, 4096, filled(arena, 4096, 0))).isEqualTo(6000 - 4096);
      assertThat(read(engine, file, 8192, filled(arena, 4096, 0))).isZero();
    }
  }
}
