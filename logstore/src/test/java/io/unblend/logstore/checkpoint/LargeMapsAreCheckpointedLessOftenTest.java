package io.unblend.logstore.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import io.unblend.logstore.StoreStatus;
import io.unblend.logstore.Volume;
import io.unblend.logstore.layout.Bytes;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint holds every map whole. With a map of 8 192 extents (about 200 KB of checkpoint) and
 * a configured interval of one 128 KiB segment, checkpoints at that interval would write more than
 * the log itself; regular checkpoints come at least four times their own size of log apart instead,
 * so they write at most a quarter of the log's bytes, and still come.
 */
class LargeMapsAreCheckpointedLessOftenTest {
  private static final int EXTENTS = 8192;
  private static final int SEGMENT_BYTES = 128 << 10;

  private final SimulatedDisk disk = new SimulatedDisk(4096, 96L << 20);
  private final StoreConfiguration config =
      StoreConfiguration.at(new StoreLocation.Directory(Path.of("/sim/store")))
          .locking(false)
          .logBytes(32 << 20)
          .segmentBytes(SEGMENT_BYTES)
          .batchBytesMax(32 << 10)
          .requestBytesMax(64 << 10)
          .inFlightBytesMax(1 << 20)
          .readsInFlightMax(8)
          .checkpointIntervalBytes(SEGMENT_BYTES)
          .queueDepth(64)
          .engines(depth -> new SimulatedIoEngine(disk, depth))
          .build();

  @Test
  void checkpointsOfALargeMapWriteAtMostAQuarterOfTheLog() throws Exception {
    try (Arena arena = Arena.ofShared();
        Store store = Store.open(config)) {
      Volume volume = store.createVolume("vm", 2L * EXTENTS * Bytes.SECTOR_BYTES);
      // Every other sector: one extent each, which no later write merges.
      writeEveryOtherSector(arena, volume, 1);
      StoreStatus before = store.status();
      for (int pass = 2; pass <= 4; pass++) {
        writeEveryOtherSector(arena, volume, pass);
      }
      StoreStatus after = store.status();

      long logBytes = after.logBytesWritten() - before.logBytesWritten();
      long checkpointBytes = after.checkpointBytesWritten() - before.checkpointBytesWritten();
      long checkpoints = after.checkpointsWritten() - before.checkpointsWritten();
      assertThat(logBytes)
          .as("log bytes of the overwrites")
          .isGreaterThan(3L * EXTENTS * Bytes.SECTOR_BYTES);
      assertThat(checkpoints).as("checkpoints during the overwrites").isPositive();
      long oneCheckpoint = checkpointBytes / checkpoints;
      assertThat(oneCheckpoint)
          .as("a checkpoint of %d extents is larger than the configured interval", EXTENTS)
          .isGreaterThan(SEGMENT_BYTES);
      // One checkpoint of slack: one may be under way when the overwrites start.
      assertThat(checkpointBytes)
          .as("checkpoint bytes for %d log bytes", logBytes)
          .isLessThanOrEqualTo(logBytes / 4 + oneCheckpoint);
    }
  }

  private static void writeEveryOtherSector(Arena arena, Volume volume, int pass) throws Exception {
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    for (int extent = 0; extent < EXTENTS; extent++) {
      MemorySegment data = arena.allocate(Bytes.SECTOR_BYTES, Bytes.SECTOR_BYTES);
      data.fill((byte) (extent + pass));
      inFlight.add(volume.write(2L * extent * Bytes.SECTOR_BYTES, data, false));
      if (inFlight.size() == 64) {
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get();
        inFlight.clear();
      }
    }
    CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get();
  }
}
