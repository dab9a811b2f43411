package io.unblend.logstore.crash;

import static io.unblend.logstore.crash.CrashFixtures.await;
import static io.unblend.logstore.crash.CrashFixtures.generations;
import static io.unblend.logstore.crash.CrashFixtures.repeated;
import static io.unblend.logstore.crash.CrashFixtures.tagged;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.Volume;
import io.unblend.logstore.checkpoint.Recovery;
import io.unblend.logstore.checkpoint.RecoveryReport;
import io.unblend.logstore.layout.Bytes;
import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A last batch that only partly reached the disk is discarded as a whole, and everything flushed
 * before it is replayed intact: a torn batch never half-applies.
 */
class TornLastBatchIsDiscardedTest {
  /** Power cuts tried on the simulated disk, each tearing the last batch its own way. */
  private static final int POWER_CUTS = 48;

  @TempDir Path folder;

  @Test
  void aLastBatchWhoseFinalBlockNeverArrivedIsReportedCorruptAndDiscarded() throws Exception {
    LastBatchScenario scenario = LastBatchScenario.write(folder.resolve("data"));
    LoggedBatch last = scenario.last;

    LoggedBatch.overwrite(
        scenario.directory,
        last.fileOffsetBytes() + last.totalBytes() - Bytes.BLOCK_BYTES,
        new byte[Bytes.BLOCK_BYTES]);

    RecoveryReport report = scenario.reopenAndCheckTheLastBatchStaysDiscarded();
    assertThat(report.stopReason())
        .startsWith(Recovery.CORRUPT)
        .contains("batch " + last.sequence() + ":")
        .contains("discarded");
  }

  @Test
  void aLastBatchWhoseFinalBlockStillHoldsOlderDataIsReportedCorruptAndDiscarded()
      throws Exception {
    LastBatchScenario scenario = LastBatchScenario.write(folder.resolve("data"));
    LoggedBatch last = scenario.last;

    // What a reused segment holds where the write did not arrive: well-formed sectors of an older
    // generation, so only the checksum can tell.
    byte[] older;
    try (Arena arena = Arena.ofConfined()) {
      long lastBlockFirstSector =
          LastBatchScenario.LAST_FIRST_SECTOR
              + LastBatchScenario.LAST_SECTORS
              - Bytes.SECTORS_PER_BLOCK;
      older =
          tagged(arena, scenario.volumeA, lastBlockFirstSector, Bytes.SECTORS_PER_BLOCK, 1)
              .toArray(ValueLayout.JAVA_BYTE);
    }
    LoggedBatch.overwrite(
        scenario.directory, last.fileOffsetBytes() + last.totalBytes() - older.length, older);

    RecoveryReport report = scenario.reopenAndCheckTheLastBatchStaysDiscarded();
    assertThat(report.stopReason())
        .startsWith(Recovery.CORRUPT)
        .contains("batch " + last.sequence() + ":")
        .contains("data checksum mismatch");
  }

  @Test
  void aLastBatchWhoseHeaderNeverArrivedEndsTheLogThere() throws Exception {
    LastBatchScenario scenario = LastBatchScenario.write(folder.resolve("data"));
    LoggedBatch last = scenario.last;

    // The header and the data are separate writes; here only the data arrived. Nothing then says
    // a batch was meant to be there, so this is the end of the log, not corruption.
    LoggedBatch.overwrite(
        scenario.directory, last.fileOffsetBytes(), new byte[(int) last.headerBytes()]);

    RecoveryReport report = scenario.reopenAndCheckTheLastBatchStaysDiscarded();
    assertThat(report.stopReason())
        .doesNotStartWith(Recovery.CORRUPT)
        .contains("no batch with sequence " + last.sequence());
  }

  @Test
  void aPowerCutTearsTheUnflushedLastBatchWhollyOrNotAtAll() throws Exception {
    TreeMap<String, Integer> outcomes = new TreeMap<>();
    for (int seed = 0; seed < POWER_CUTS; seed++) {
      outcomes.merge(powerCutDuringTheLastBatch(seed), 1, Integer::sum);
    }
    // The power cuts must have exercised all three fates of the last batch, or this test proves
    // less than its name says.
    assertThat(outcomes)
        .as("outcomes of %d power cuts", POWER_CUTS)
        .containsKeys("replayed", "corrupt", "missing");
  }

  /** Writes a flushed batch and an unflushed one, cuts the power, checks; returns the outcome. */
  private static String powerCutDuringTheLastBatch(int seed) throws Exception {
    SimulatedDisk disk = new SimulatedDisk(Bytes.BLOCK_BYTES, 64L << 20);
    StoreConfiguration config =
        CrashFixtures.simulated(disk, 8 << 20)
            .checkpointIntervalBytes(CrashFixtures.CHECKPOINT_NEVER_BYTES)
            .build();
    int id;
    try (Arena arena = Arena.ofShared()) {
      Store store = Store.open(config);
      Volume volume = store.createVolume("a", 1 << 20);
      id = volume.id();
      await(volume.write(0, tagged(arena, id, 0, 16, 1), false));
      await(volume.flush());
      MemorySegment unflushed = tagged(arena, id, 8, 24, 2);
      await(volume.write(8 * 512, unflushed, false));
      store.abandon();
      disk.powerCut(new Random(seed));
    }

    try (Store store = Store.open(config)) {
      RecoveryReport report = store.recoveryReport();
      String context = "power cut " + seed + ", " + report.summary();
      Volume volume = store.volume("a");
      assertThat(volume).as(context).isNotNull();
      long[] first = generations(volume, 0, 8);
      long[] overlap = generations(volume, 8, 8);
      long[] fresh = generations(volume, 16, 16);
      assertThat(first).as("flushed sectors 0-7; %s", context).isEqualTo(repeated(1, 8));
      if (overlap[0] == 2) {
        assertThat(overlap).as("sectors 8-15, replayed; %s", context).isEqualTo(repeated(2, 8));
        assertThat(fresh).as("sectors 16-31, replayed; %s", context).isEqualTo(repeated(2, 16));
        return "replayed";
      }
      assertThat(overlap).as("sectors 8-15, discarded; %s", context).isEqualTo(repeated(1, 8));
      assertThat(fresh).as("sectors 16-31, discarded; %s", context).isEqualTo(repeated(0, 16));
      return report.stopReason().startsWith(Recovery.CORRUPT) ? "corrupt" : "missing";
    }
  }
}
