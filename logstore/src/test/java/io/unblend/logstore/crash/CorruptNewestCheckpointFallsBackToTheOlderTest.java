package io.unblend.logstore.crash;

import static io.unblend.logstore.crash.CrashFixtures.await;
import static io.unblend.logstore.crash.CrashFixtures.generations;
import static io.unblend.logstore.crash.CrashFixtures.repeated;
import static io.unblend.logstore.crash.CrashFixtures.tagged;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import io.unblend.logstore.Volume;
import io.unblend.logstore.checkpoint.CheckpointFormat;
import io.unblend.logstore.checkpoint.RecoveryReport;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoEngineKind;
import io.unblend.nativeio.IoEngines;
import io.unblend.nativeio.NativeIoConfiguration;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * When the newest checkpoint is damaged, recovery starts from the other slot's older checkpoint,
 * says why in the report, and replays the log from there: nothing flushed is lost, because the log
 * keeps every batch that either checkpoint may need.
 */
class CorruptNewestCheckpointFallsBackToTheOlderTest {
  /** A byte of the header's u64 checkpoint sequence (see {@link CheckpointFormat}'s diagram). */
  private static final int SEQUENCE_BYTE = 8;

  private static final long WRAPPING_LOG_BYTES = 8 << 20;
  private static final int WRAPPING_VOLUME_SECTORS = 512;
  private static final int WRAPPING_ROUNDS = 24;
  private static final long WRAPPING_SEED = 20261125;

  @TempDir Path folder;

  /** Where in the newest checkpoint a bit flips. */
  enum Damage {
    /** In the sequence: undetected, it could make any checkpoint the newest. */
    HEADER_SEQUENCE(SEQUENCE_BYTE),
    /** In the header block's zero padding, which its checksum covers too. */
    HEADER_PADDING(Bytes.BLOCK_BYTES / 2),
    /** In the first body byte: segment 0's live sector count. */
    FIRST_BODY_BYTE(CheckpointFormat.HEADER_BYTES),
    /** Further into the body: a volume's record, or the padding that the checksum covers too. */
    LATER_BODY_BYTE(CheckpointFormat.HEADER_BYTES + 700);

    final int offsetBytes;

    Damage(int offsetBytes) {
      this.offsetBytes = offsetBytes;
    }
  }

  @ParameterizedTest(name = "{0}, second run ends with a clean close: {1}")
  @CsvSource({
    "HEADER_SEQUENCE, true",
    "HEADER_PADDING, true",
    "FIRST_BODY_BYTE, true",
    "LATER_BODY_BYTE, true",
    "HEADER_SEQUENCE, false",
    "HEADER_PADDING, false",
    "FIRST_BODY_BYTE, false",
    "LATER_BODY_BYTE, false"
  })
  void aDamagedNewestCheckpointIsSkippedAndTheLogReplayedFromTheOlder(
      Damage damage, boolean cleanClose) throws Exception {
    Path directory = folder.resolve("data");
    StoreConfiguration config =
        CrashFixtures.directory(directory, 16 << 20)
            .checkpointIntervalBytes(CrashFixtures.CHECKPOINT_NEVER_BYTES)
            .build();
    int a;
    int b;
    try (Arena arena = Arena.ofShared()) {
      try (Store store = Store.open(config)) {
        Volume volume = store.createVolume("a", 1 << 20);
        a = volume.id();
        await(volume.write(0, tagged(arena, a, 0, 16, 1), false));
        await(volume.flush());
      }
      Store store = Store.open(config);
      try {
        Volume second = store.createVolume("b", 1 << 20);
        b = second.id();
        await(store.volume("a").write(8 * 512, tagged(arena, a, 8, 16, 2), false));
        await(second.write(0, tagged(arena, b, 0, 8, 1), false));
        await(store.flush());
      } finally {
        if (cleanClose) {
          store.close();
        } else {
          store.abandon();
        }
      }
    }

    long[] sequences;
    try (IoEngine engine = IoEngines.open(new NativeIoConfiguration(IoEngineKind.PREAD, 8))) {
      sequences = CheckpointSlots.sequences(engine, directory);
      int newest = CheckpointSlots.newest(sequences);
      CheckpointSlots.flipBit(engine, directory, newest, damage.offsetBytes);
    }
    int newest = CheckpointSlots.newest(sequences);
    int older = 1 - newest;

    try (Store store = Store.open(config)) {
      RecoveryReport report = store.recoveryReport();
      assertThat(report.checkpointSlot()).as(report.summary()).isEqualTo(older);
      assertThat(report.checkpointSequence()).as(report.summary()).isEqualTo(sequences[older]);
      assertThat(report.problems())
          .as(report.summary())
          .singleElement()
          .asString()
          .contains("checkpoint slot " + newest)
          .contains(StoreLayout.CHECKPOINT_FILE_PREFIX + newest);
      assertThat(report.batchesReplayed())
          .as("the second run's volume and two writes come from the log; %s", report.summary())
          .isGreaterThanOrEqualTo(3);
      assertEverythingFlushedIsThere(store, a, b);
    }
    // The fallback is not a one-off: the next start finds a valid newest checkpoint again.
    try (Store store = Store.open(config)) {
      RecoveryReport report = store.recoveryReport();
      assertThat(report.problems()).as(report.summary()).isEmpty();
      assertEverythingFlushedIsThere(store, a, b);
    }
  }

  /**
   * The same after a long history: many background checkpoints, a log that wrapped around and
   * reuses its segments, and earlier fallbacks. Each round writes and flushes, stops as a crash
   * would, damages the newest checkpoint and checks every sector after the reopen. The older
   * checkpoint is only usable if no segment it needs was reused; the store keeps them for it.
   */
  @Test
  void aDamagedNewestCheckpointIsSkippedAfterTheLogWrappedManyTimes() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(Bytes.BLOCK_BYTES, 64L << 20);
    StoreConfiguration config = CrashFixtures.simulated(disk, WRAPPING_LOG_BYTES).build();
    Path directory = ((StoreLocation.Directory) config.location()).path();
    SplittableRandom random = new SplittableRandom(WRAPPING_SEED);
    long[] model = new long[WRAPPING_VOLUME_SECTORS];
    long generation = 0;
    long logBytesWritten = 0;
    Store store = Store.open(config);
    try (Arena arena = Arena.ofShared()) {
      Volume volume = store.createVolume("a", WRAPPING_VOLUME_SECTORS * 512L);
      for (int round = 0; round < WRAPPING_ROUNDS; round++) {
        int writes = random.nextInt(50, 400);
        for (int w = 0; w < writes; w++) {
          int sectors = 1 + random.nextInt(32);
          // A write may start anywhere and wraps past the end to sector 0, so every sector is
          // overwritten as often (with no cleaner, rarely overwritten sectors would fill the log).
          int first = random.nextInt(WRAPPING_VOLUME_SECTORS);
          int beforeEnd = Math.min(sectors, WRAPPING_VOLUME_SECTORS - first);
          generation++;
          await(
              volume.write(
                  first * 512L, tagged(arena, volume.id(), first, beforeEnd, generation), false));
          Arrays.fill(model, first, first + beforeEnd, generation);
          if (beforeEnd < sectors) {
            await(
                volume.write(
                    0, tagged(arena, volume.id(), 0, sectors - beforeEnd, generation), false));
            Arrays.fill(model, 0, sectors - beforeEnd, generation);
          }
          logBytesWritten += sectors * 512L;
        }
        await(volume.flush());
        store.abandon();

        long[] sequences;
        int newest;
        try (IoEngine engine = new SimulatedIoEngine(disk, 8)) {
          sequences = CheckpointSlots.sequences(engine, directory);
          newest = CheckpointSlots.newest(sequences);
          Damage damage = Damage.values()[round % Damage.values().length];
          CheckpointSlots.flipBit(engine, directory, newest, damage.offsetBytes);
        }

        store = Store.open(config);
        RecoveryReport report = store.recoveryReport();
        String context = "round " + round + ", " + report.summary();
        assertThat(report.checkpointSlot()).as(context).isEqualTo(1 - newest);
        assertThat(report.checkpointSequence()).as(context).isEqualTo(sequences[1 - newest]);
        volume = store.volume("a");
        assertThat(generations(volume, 0, WRAPPING_VOLUME_SECTORS)).as(context).isEqualTo(model);
      }
    } finally {
      store.close();
    }
    assertThat(logBytesWritten)
        .as("bytes written, to wrap the log several times")
        .isGreaterThan(4 * WRAPPING_LOG_BYTES);
  }

  private static void assertEverythingFlushedIsThere(Store store, int a, int b) throws Exception {
    Volume first = store.volume("a");
    Volume second = store.volume("b");
    assertThat(first).as("volume a").isNotNull();
    assertThat(second).as("volume b, created after the older checkpoint").isNotNull();
    assertThat(first.id()).isEqualTo(a);
    assertThat(second.id()).isEqualTo(b);
    assertThat(generations(first, 0, 8)).as("volume a sectors 0-7").isEqualTo(repeated(1, 8));
    assertThat(generations(first, 8, 16)).as("volume a sectors 8-23").isEqualTo(repeated(2, 16));
    assertThat(generations(second, 0, 8)).as("volume b sectors 0-7").isEqualTo(repeated(1, 8));
  }
}
