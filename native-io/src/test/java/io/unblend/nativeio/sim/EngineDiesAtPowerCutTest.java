package io.unblend.nativeio.sim;

import static io.unblend.nativeio.sim.OneAtATime.filled;
import static io.unblend.nativeio.sim.OneAtATime.nop;
import static io.unblend.nativeio.sim.OneAtATime.read;
import static io.unblend.nativeio.sim.OneAtATime.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.OpenFlag;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EngineDiesAtPowerCutTest {
  private static final Path SEGMENT = Path.of("segment-0");
  private static final int BLOCK_BYTES = 4096;
  private static final Set<OpenFlag> READ_WRITE = EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE);

  @Test
  void operationsOfAnEngineFromBeforeTheCutCompleteWithEio() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, READ_WRITE);
      assertThat(engine.prepareWrite(file, 0, filled(arena, BLOCK_BYTES, 1), OneAtATime.USER_DATA))
          .isTrue();

      disk.powerCutLosingAllUnsynced();

      assertThat(OneAtATime.awaitOne(engine))
          .as("prepared before the cut, submitted after")
          .isEqualTo(-Errno.EIO.number());
      assertThat(write(engine, file, 0, filled(arena, BLOCK_BYTES, 1)))
          .isEqualTo(-Errno.EIO.number());
      assertThat(read(engine, file, 0, arena.allocate(BLOCK_BYTES, 4096)))
          .isEqualTo(-Errno.EIO.number());
      assertThat(nop(engine)).isEqualTo(-Errno.EIO.number());
    }
  }

  @Test
  void openingAFileOnADeadEngineFailsWithEio() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, READ_WRITE);
      disk.powerCutLosingAllUnsynced();

      assertThatThrownBy(() -> engine.open(SEGMENT, READ_WRITE))
          .isInstanceOfSatisfying(
              NativeIoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO.number()))
          .hasMessageContaining("simulated disk lost power");
      assertThatThrownBy(() -> engine.sizeBytes(file))
          .isInstanceOfSatisfying(
              NativeIoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO.number()));
    }
  }

  @Test
  void anEngineMadeAfterTheCutWorks() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      engine.open(SEGMENT, READ_WRITE);
    }
    disk.powerCutLosingAllUnsynced();
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, READ_WRITE);
      assertThat(write(engine, file, 0, filled(arena, BLOCK_BYTES, 1))).isEqualTo(BLOCK_BYTES);
      assertThat(nop(engine)).isZero();
    }
  }
}
