package io.unblend.nativeio.sim;

import static io.unblend.nativeio.sim.OneAtATime.datasync;
import static io.unblend.nativeio.sim.OneAtATime.filled;
import static io.unblend.nativeio.sim.OneAtATime.read;
import static io.unblend.nativeio.sim.OneAtATime.write;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.IoOperation;
import io.unblend.nativeio.OpenFlag;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class FaultInjectionFailsNthOperationTest {
  private static final Path SEGMENT = Path.of("segment-0");
  private static final int BLOCK_BYTES = 4096;

  @Test
  void theNthWriteFailsWithEioAndChangesNothing() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
      write(engine, file, 0, filled(arena, BLOCK_BYTES, 0x11));
      disk.faults().failNth(IoOperation.WRITE, 2, Errno.EIO);

      assertThat(write(engine, file, 0, filled(arena, BLOCK_BYTES, 0x22))).isEqualTo(BLOCK_BYTES);
      assertThat(write(engine, file, 0, filled(arena, BLOCK_BYTES, 0x33)))
          .isEqualTo(-Errno.EIO.number());
      assertThat(write(engine, file, BLOCK_BYTES, filled(arena, BLOCK_BYTES, 0x44)))
          .isEqualTo(BLOCK_BYTES);

      MemorySegment buffer = arena.allocate(BLOCK_BYTES, 4096);
      read(engine, file, 0, buffer);
      assertThat(buffer.toArray(JAVA_BYTE)).containsOnly((byte) 0x22);
    }
  }

  @Test
  void theNthWriteFailsWithEnospcWithoutGrowingTheFile() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
      disk.faults().failNth(IoOperation.WRITE, 1, Errno.ENOSPC);

      assertThat(write(engine, file, 0, filled(arena, BLOCK_BYTES, 0x11)))
          .isEqualTo(-Errno.ENOSPC.number());
      assertThat(engine.sizeBytes(file)).isZero();
      assertThat(write(engine, file, 0, filled(arena, BLOCK_BYTES, 0x11))).isEqualTo(BLOCK_BYTES);
    }
  }

  @Test
  void fixedBufferWritesCountAsWrites() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
      MemorySegment region = filled(arena, BLOCK_BYTES, 0x11);
      engine.registerBuffers(region);
      disk.faults().failNth(IoOperation.WRITE, 2, Errno.EIO);

      write(engine, file, 0, region);
      assertThat(engine.prepareWriteFixed(file, 0, region, 0, OneAtATime.USER_DATA)).isTrue();
      assertThat(OneAtATime.awaitOne(engine)).isEqualTo(-Errno.EIO.number());
    }
  }

  @Test
  void failEveryFailsEachOperationOfThatKindUntilCleared() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SEGMENT, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
      write(engine, file, 0, filled(arena, BLOCK_BYTES, 0x11));
      disk.faults().failEvery(IoOperation.DATASYNC, Errno.EIO);
      disk.faults().failNth(IoOperation.READ, 1, Errno.EIO);

      assertThat(datasync(engine, file)).isEqualTo(-Errno.EIO.number());
      assertThat(datasync(engine, file)).isEqualTo(-Errno.EIO.number());
      MemorySegment buffer = arena.allocate(BLOCK_BYTES, 4096);
      assertThat(read(engine, file, 0, buffer)).isEqualTo(-Errno.EIO.number());
      assertThat(read(engine, file, 0, buffer)).isEqualTo(BLOCK_BYTES);

      disk.faults().clear();
      assertThat(datasync(engine, file)).isZero();
    }
  }
}
