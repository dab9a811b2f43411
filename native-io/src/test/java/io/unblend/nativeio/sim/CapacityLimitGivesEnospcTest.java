package io.unblend.nativeio.sim;

import static io.unblend.nativeio.sim.OneAtATime.datasync;
import static io.unblend.nativeio.sim.OneAtATime.fallocate;
import static io.unblend.nativeio.sim.OneAtATime.filled;
import static io.unblend.nativeio.sim.OneAtATime.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.OpenFlag;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CapacityLimitGivesEnospcTest {
  private static final int BLOCK_BYTES = 4096;
  private static final long CAPACITY_BYTES = 4 * BLOCK_BYTES;
  private static final Set<OpenFlag> CREATE_DIRECT =
      EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE, OpenFlag.DIRECT);

  @Test
  void aWritePastTheCapacityFailsAndWritesNothing() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, CAPACITY_BYTES);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile first = engine.open(Path.of("first"), CREATE_DIRECT);
      IoFile second = engine.open(Path.of("second"), CREATE_DIRECT);
      assertThat(write(engine, first, 0, filled(arena, 3 * BLOCK_BYTES, 1)))
          .isEqualTo(3 * BLOCK_BYTES);

      assertThat(write(engine, second, 0, filled(arena, 2 * BLOCK_BYTES, 2)))
          .isEqualTo(-Errno.ENOSPC.number());
      assertThat(engine.sizeBytes(second)).isZero();
      assertThat(write(engine, second, 0, filled(arena, BLOCK_BYTES, 2))).isEqualTo(BLOCK_BYTES);
      assertThat(write(engine, first, 0, filled(arena, 3 * BLOCK_BYTES, 3)))
          .as("an overwrite needs no space")
          .isEqualTo(3 * BLOCK_BYTES);
      assertThat(disk.usedBytes()).isEqualTo(CAPACITY_BYTES);
    }
  }

  @Test
  void fallocatePastTheCapacityFailsAndOnlyModeZeroIsSimulated() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, CAPACITY_BYTES);
    try (SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(Path.of("segment-0"), CREATE_DIRECT);
      assertThat(fallocate(engine, file, 0, 0, CAPACITY_BYTES + 1))
          .isEqualTo(-Errno.ENOSPC.number());
      assertThat(fallocate(engine, file, 1, 0, BLOCK_BYTES)).isEqualTo(-Errno.EOPNOTSUPP.number());
      assertThat(fallocate(engine, file, 0, BLOCK_BYTES, BLOCK_BYTES)).isZero();
      assertThat(engine.sizeBytes(file)).isEqualTo(2 * BLOCK_BYTES);
    }
  }

  @Test
  void growthLostAtAPowerCutFreesItsSpace() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, CAPACITY_BYTES);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(Path.of("segment-0"), CREATE_DIRECT);
      write(engine, file, 0, filled(arena, BLOCK_BYTES, 1));
      datasync(engine, file);
      assertThat(fallocate(engine, file, 0, 0, CAPACITY_BYTES)).isZero();
      disk.powerCutLosingAllUnsynced();
    }
    assertThat(disk.usedBytes()).isEqualTo(BLOCK_BYTES);
  }
}
