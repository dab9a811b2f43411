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
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DatasyncMakesWritesDurableTest {
  private static final Path SYNCED = Path.of("synced");
  private static final Path UNSYNCED = Path.of("unsynced");
  private static final Path DSYNC = Path.of("dsync");
  private static final int BLOCK_BYTES = 4096;

  @Test
  void writesBeforeADatasyncSurviveEveryPowerCut() throws Exception {
    for (long seed = 0; seed < 50; seed++) {
      SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
      try (Arena arena = Arena.ofConfined();
          SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
        IoFile file = engine.open(SYNCED, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
        for (int block = 0; block < 4; block++) {
          write(engine, file, block * BLOCK_BYTES, filled(arena, BLOCK_BYTES, 0x10 + block));
        }
        assertThat(datasync(engine, file)).isZero();
        disk.powerCut(new SplittableRandom(seed));
      }
      for (int block = 0; block < 4; block++) {
        assertThat(blockOf(disk, SYNCED, block)).containsOnly((byte) (0x10 + block));
      }
    }
  }

  @Test
  void aDatasyncCoversOnlyItsOwnFile() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile synced = engine.open(SYNCED, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
      IoFile unsynced = engine.open(UNSYNCED, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
      write(engine, synced, 0, filled(arena, BLOCK_BYTES, 0x11));
      write(engine, unsynced, 0, filled(arena, BLOCK_BYTES, 0x22));
      datasync(engine, synced);
      disk.powerCutLosingAllUnsynced();
    }
    assertThat(blockOf(disk, SYNCED, 0)).containsOnly((byte) 0x11);
    assertThat(blockOf(disk, UNSYNCED, 0)).isEmpty();
  }

  @Test
  void writesToAnOdsyncFileAreDurableOnCompletion() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(DSYNC, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE, OpenFlag.DSYNC));
      write(engine, file, 0, filled(arena, BLOCK_BYTES, 0x33));
      disk.powerCutLosingAllUnsynced();
    }
    assertThat(blockOf(disk, DSYNC, 0)).containsOnly((byte) 0x33);
  }

  @Test
  void aDurableWriteSurvivesAPowerCutButDoesNotSyncTheWritesBeforeIt() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(SYNCED, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
      write(engine, file, 0, filled(arena, BLOCK_BYTES, 0x55));
      int[] result = new int[1];
      assertThat(engine.prepareDurableWrite(file, BLOCK_BYTES, filled(arena, BLOCK_BYTES, 0x66), 1))
          .isTrue();
      engine.awaitCompletions(1, (userData, r) -> result[0] = r);
      assertThat(result[0]).isEqualTo(BLOCK_BYTES);
      disk.powerCutLosingAllUnsynced();
    }
    assertThat(blockOf(disk, SYNCED, 0)).as("the plain write before it").containsOnly((byte) 0);
    assertThat(blockOf(disk, SYNCED, 1)).as("the durable write").containsOnly((byte) 0x66);
  }

  @Test
  void anOdsyncWriteIsNotUndoneByAnEarlierUnsyncedWriteToTheSameBlock() throws Exception {
    for (long seed = 0; seed < 30; seed++) {
      SimulatedDisk disk = new SimulatedDisk(BLOCK_BYTES, 1 << 20);
      try (Arena arena = Arena.ofConfined();
          SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
        IoFile buffered = engine.open(DSYNC, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE));
        IoFile dsync = engine.open(DSYNC, EnumSet.of(OpenFlag.WRITE, OpenFlag.DSYNC));
        write(engine, buffered, 0, filled(arena, BLOCK_BYTES, 0x44));
        write(engine, dsync, 0, filled(arena, BLOCK_BYTES, 0x55));
        disk.powerCut(new SplittableRandom(seed));
      }
      assertThat(blockOf(disk, DSYNC, 0)).containsOnly((byte) 0x55);
    }
  }

  /** Reads one block through a new engine: the bytes that the file holds there after a restart. */
  private static byte[] blockOf(SimulatedDisk disk, Path path, int block) throws Exception {
    try (Arena arena = Arena.ofConfined();
        SimulatedIoEngine engine = new SimulatedIoEngine(disk, 4)) {
      IoFile file = engine.open(path, EnumSet.noneOf(OpenFlag.class));
      MemorySegment buffer = arena.allocate(BLOCK_BYTES, 4096);
      int readBytes = read(engine, file, (long) block * BLOCK_BYTES, buffer);
      return buffer.asSlice(0, readBytes).toArray(JAVA_BYTE);
    }
  }
}
