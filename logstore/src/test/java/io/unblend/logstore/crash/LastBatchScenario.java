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
import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * A store in a real directory whose log ends in three flushed write batches after the last
 * checkpoint, left without a clean close, so that reopening replays all three:
 *
 * <ol>
 *   <li>volume a, sectors 0 to 15, generation 1;
 *   <li>volume b, sectors 8 to 23, generation 1;
 *   <li>the last batch: volume a, sectors 8 to 31, generation 2, over half of the first batch.
 * </ol>
 *
 * Tests damage the last batch in the log file and check what recovery makes of it.
 */
final class LastBatchScenario {
  static final long LOG_BYTES = 16 << 20;
  static final int VOLUME_BYTES = 1 << 20;
  static final int LAST_FIRST_SECTOR = 8;
  static final int LAST_SECTORS = 24;

  final Path directory;
  final StoreConfiguration config;
  final int volumeA;
  final int volumeB;
  final LoggedBatch last;

  private LastBatchScenario(
      Path directory, StoreConfiguration config, int volumeA, int volumeB, LoggedBatch last) {
    this.directory = directory;
    this.config = config;
    this.volumeA = volumeA;
    this.volumeB = volumeB;
    this.last = last;
  }

  /** Writes the three batches and stops the store as a crash would, after the last flush. */
  static LastBatchScenario write(Path directory) throws Exception {
    StoreConfiguration config =
        CrashFixtures.directory(directory, LOG_BYTES)
            .checkpointIntervalBytes(CrashFixtures.CHECKPOINT_NEVER_BYTES)
            .build();
    int volumeA;
    int volumeB;
    try (Arena arena = Arena.ofShared()) {
      Store store = Store.open(config);
      try {
        Volume a = store.createVolume("a", VOLUME_BYTES);
        Volume b = store.createVolume("b", VOLUME_BYTES);
        volumeA = a.id();
        volumeB = b.id();
        await(a.write(0, tagged(arena, volumeA, 0, 16, 1), false));
        await(a.flush());
        await(b.write(8 * 512, tagged(arena, volumeB, 8, 16, 1), false));
        await(b.flush());
        await(
            a.write(
                LAST_FIRST_SECTOR * 512L,
                tagged(arena, volumeA, LAST_FIRST_SECTOR, LAST_SECTORS, 2),
                false));
        await(a.flush());
      } finally {
        store.abandon();
      }
    }
    LoggedBatch last = LoggedBatch.last(directory, CrashFixtures.SEGMENT_BYTES);
    assertThat(last.entries()).as("entries of %s", last).isEqualTo(1);
    assertThat(last.firstEntryVolume()).as("volume of %s", last).isEqualTo(volumeA);
    assertThat(last.firstEntrySector()).as("first sector of %s", last).isEqualTo(LAST_FIRST_SECTOR);
    assertThat(last.firstEntrySectors()).as("sectors of %s", last).isEqualTo(LAST_SECTORS);
    assertThat(last.dataBytes()).isEqualTo(LAST_SECTORS * 512L);
    return new LastBatchScenario(directory, config, volumeA, volumeB, last);
  }

  /**
   * Checks an open store in which the last batch was discarded: the first two batches read back,
   * and every sector of the last reads what it held before (generation 1, or zeros).
   */
  void assertOnlyTheLastBatchIsMissing(Store store) throws Exception {
    Volume a = store.volume("a");
    Volume b = store.volume("b");
    assertThat(a).as("volume a").isNotNull();
    assertThat(b).as("volume b").isNotNull();
    assertThat(generations(a, 0, 16)).as("volume a sectors 0-15").isEqualTo(repeated(1, 16));
    assertThat(generations(a, 16, 16))
        .as("volume a sectors 16-31, written only by the discarded batch")
        .isEqualTo(repeated(0, 16));
    assertThat(generations(b, 0, 8)).as("volume b sectors 0-7").isEqualTo(repeated(0, 8));
    assertThat(generations(b, 8, 16)).as("volume b sectors 8-23").isEqualTo(repeated(1, 16));
  }

  /** Checks an open store in which all three batches were replayed. */
  void assertAllBatchesAreThere(Store store) throws Exception {
    Volume a = store.volume("a");
    Volume b = store.volume("b");
    assertThat(generations(a, 0, 8)).as("volume a sectors 0-7").isEqualTo(repeated(1, 8));
    assertThat(generations(a, 8, 24)).as("volume a sectors 8-31").isEqualTo(repeated(2, 24));
    assertThat(generations(b, 8, 16)).as("volume b sectors 8-23").isEqualTo(repeated(1, 16));
  }

  /**
   * Reopens after the damage, checks that only the last batch is missing, writes once more (the new
   * batch takes the discarded one's place and sequence) and crashes again, then checks after
   * another replay that the discarded batch stays discarded; returns the report of the first
   * reopen.
   */
  RecoveryReport reopenAndCheckTheLastBatchStaysDiscarded() throws Exception {
    RecoveryReport report;
    try (Arena arena = Arena.ofShared();
        Store store = Store.open(config)) {
      report = store.recoveryReport();
      assertOnlyTheLastBatchIsMissing(store);
      await(store.volume("a").write(40 * 512, tagged(arena, volumeA, 40, 8, 3), false));
      await(store.flush());
      store.abandon();
    }
    try (Store store = Store.open(config)) {
      assertOnlyTheLastBatchIsMissing(store);
      assertThat(generations(store.volume("a"), 40, 8))
          .as("volume a sectors 40-47, written after the damaged batch was discarded")
          .isEqualTo(repeated(3, 8));
    }
    return report;
  }
}
