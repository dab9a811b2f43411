package io.unblend.logstore.crash;

import static io.unblend.logstore.crash.CrashFixtures.await;
import static io.unblend.logstore.crash.CrashFixtures.generations;
import static io.unblend.logstore.crash.CrashFixtures.repeated;
import static io.unblend.logstore.crash.CrashFixtures.tagged;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.Volume;
import io.unblend.logstore.checkpoint.RecoveryReport;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.logstore.layout.Superblock;
import io.unblend.logstore.log.BatchHeader;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.OpenFlag;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When the log continues in a fresh segment, recovery finds that segment by the sequence of its
 * first batch. A segment may still start with a batch of that same sequence from an earlier epoch:
 * one that an earlier recovery discarded (never flushed), whose segment the next epoch then did not
 * pick again (it picks the free segment with the oldest last batch, and overwrites can free a
 * segment older than the stale one in between). Recovery must follow the real continuation, not the
 * stale start, or it discards flushed batches.
 *
 * <p>The stale start is made by hand here: the log is written by the store, then a copy of its last
 * batch, resealed with the continuation's sequence and the previous epoch, goes to the start of an
 * unused segment after the continuation's.
 */
class StaleSegmentStartDoesNotHideFlushedBatchesTest {
  private static final long LOG_BYTES = 8 << 20;
  private static final int SEGMENT_BYTES = CrashFixtures.SIMULATED_SEGMENT_BYTES;
  private static final Path LOG = Path.of("/sim/store").resolve(StoreLayout.LOG_FILE);
  private static final Path SUPERBLOCK = Path.of("/sim/store").resolve(StoreLayout.SUPERBLOCK_FILE);

  /** 64 KiB: three such batches and the volume's creation fill most of a 256 KiB segment. */
  private static final int WRITE_SECTORS = 128;

  private static final int WRITES = 4;
  private static final int SMALL_WRITE_SECTOR = 1024;

  @Test
  void recoveryFollowsTheRealContinuationPastAStaleSegmentStart() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(Bytes.BLOCK_BYTES, 64L << 20);
    StoreConfiguration config =
        CrashFixtures.simulated(disk, LOG_BYTES)
            .checkpointIntervalBytes(CrashFixtures.CHECKPOINT_NEVER_BYTES)
            .build();
    // A first epoch that writes nothing, so that the stale batch's epoch is one the store had.
    Store.open(config).close();
    int id;
    try (Arena arena = Arena.ofShared()) {
      Store store = Store.open(config);
      Volume volume = store.createVolume("a", 4 << 20);
      id = volume.id();
      for (int w = 0; w < WRITES; w++) {
        long sector = (long) w * WRITE_SECTORS;
        await(volume.write(sector * 512, tagged(arena, id, sector, WRITE_SECTORS, 1), false));
        await(volume.flush());
      }
      await(
          volume.write(
              SMALL_WRITE_SECTOR * 512, tagged(arena, id, SMALL_WRITE_SECTOR, 8, 1), false));
      await(volume.flush());
      store.abandon();
    }

    SimulatedIoEngine engine = new SimulatedIoEngine(disk, 8);
    try (Arena arena = Arena.ofConfined();
        IoFile log = engine.open(LOG, EnumSet.of(OpenFlag.WRITE))) {
      BlockingIo io = new BlockingIo(engine);
      long storeId;
      try (IoFile superblockFile = engine.open(SUPERBLOCK, EnumSet.noneOf(OpenFlag.class))) {
        MemorySegment block = arena.allocate(Superblock.SIZE_BYTES, Bytes.BLOCK_BYTES);
        io.read(superblockFile, 0, block);
        storeId = Superblock.decode(block, SUPERBLOCK.toString()).storeId();
      }
      MemorySegment contents = arena.allocate(LOG_BYTES, Bytes.BLOCK_BYTES);
      io.read(log, 0, contents);
      List<LoggedBatch> batches = LoggedBatch.scan(contents, SEGMENT_BYTES, storeId);
      LoggedBatch first = batches.getFirst();
      LoggedBatch continuation =
          batches.stream()
              .filter(b -> b.offsetBytes() == 0 && b.segment() != first.segment())
              .findFirst()
              .orElseThrow(() -> new AssertionError("the log never moved on: " + batches));
      LoggedBatch last = batches.getLast();
      assertThat(last.segment()).as("%s", batches).isEqualTo(continuation.segment());
      int staleSegment = continuation.segment() + 2;
      assertThat(batches).noneMatch(b -> b.segment() == staleSegment);

      MemorySegment stale = arena.allocate(last.totalBytes(), Bytes.BLOCK_BYTES);
      stale.copyFrom(contents.asSlice(last.fileOffsetBytes(), last.totalBytes()));
      BatchHeader.seal(
          stale.asSlice(0, last.headerBytes()),
          storeId,
          (int) (last.headerBytes() / Bytes.BLOCK_BYTES),
          continuation.sequence(),
          continuation.epoch() - 1,
          last.entries(),
          stale.asSlice(last.headerBytes()),
          (int) (last.dataBytes() / Bytes.SECTOR_BYTES),
          false);
      io.write(log, (long) staleSegment * SEGMENT_BYTES, stale);
    } finally {
      engine.close();
    }

    try (Store store = Store.open(config)) {
      RecoveryReport report = store.recoveryReport();
      Volume volume = store.volume("a");
      for (int w = 0; w < WRITES; w++) {
        assertThat(generations(volume, (long) w * WRITE_SECTORS, WRITE_SECTORS))
            .as("flushed write %d; %s", w, report.summary())
            .isEqualTo(repeated(1, WRITE_SECTORS));
      }
      assertThat(generations(volume, SMALL_WRITE_SECTOR, 8))
          .as("the last flushed write; %s", report.summary())
          .isEqualTo(repeated(1, 8));
    }
  }
}
