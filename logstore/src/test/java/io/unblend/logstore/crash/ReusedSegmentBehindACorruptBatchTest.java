package io.unblend.logstore.crash;

import static io.unblend.logstore.crash.CrashFixtures.await;
import static io.unblend.logstore.crash.CrashFixtures.generations;
import static io.unblend.logstore.crash.CrashFixtures.repeated;
import static io.unblend.logstore.crash.CrashFixtures.tagged;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.Volume;
import io.unblend.logstore.layout.CorruptStoreException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A segment whose data was all overwritten is reused as soon as the batch that emptied it is
 * durable, without waiting for a checkpoint (ADR 0008). Volume a is written, checkpointed by a
 * clean close and reopen, then overwritten; volume b is written until the log reuses a segment of
 * a's first data; then the store stops as a crash would. Replaying the un-checkpointed tail must
 * rebuild both volumes exactly. If instead the first overwriting batch is corrupt, recovery stops
 * before it with maps that still point into the reused segment: the store must refuse to open, not
 * serve b's data as a's.
 */
class ReusedSegmentBehindACorruptBatchTest {
  private static final long LOG_BYTES = 16 << 20;
  private static final int VOLUME_A_BYTES = 4 << 20;
  private static final int VOLUME_B_BYTES = 10 << 20;
  private static final int WRITE_BYTES = 256 << 10;
  private static final int WRITE_SECTORS = WRITE_BYTES / 512;

  @TempDir Path folder;

  @Test
  void theTailReplaysOverAReusedSegmentAndACorruptBatchBeforeTheReuseIsRefused() throws Exception {
    Path directory = folder.resolve("data");
    StoreConfiguration config =
        CrashFixtures.directory(directory, LOG_BYTES)
            .checkpointIntervalBytes(CrashFixtures.CHECKPOINT_NEVER_BYTES)
            .build();
    int bWrites;
    LoggedBatch firstOverwrite;
    try (Arena arena = Arena.ofShared()) {
      Store store = Store.open(config);
      Volume a = store.createVolume("a", VOLUME_A_BYTES);
      int aId = a.id();
      writeAll(arena, a, VOLUME_A_BYTES, 1);
      store.close();
      Set<Integer> firstDataSegments =
          LoggedBatch.scan(directory, CrashFixtures.SEGMENT_BYTES).stream()
              .filter(batch -> batch.firstEntryVolume() == aId)
              .map(LoggedBatch::segment)
              .collect(Collectors.toSet());
      long beforeOverwrite = LoggedBatch.last(directory, CrashFixtures.SEGMENT_BYTES).sequence();

      store = Store.open(config); // Both checkpoint slots now come after a's first data.
      try {
        a = store.volume("a");
        writeAll(arena, a, VOLUME_A_BYTES, 2);
        firstOverwrite = batchWithSequence(directory, beforeOverwrite + 1);
        assertThat(firstOverwrite.firstEntryVolume())
            .as("volume of %s", firstOverwrite)
            .isEqualTo(aId);
        Volume b = store.createVolume("b", VOLUME_B_BYTES);
        bWrites = 0;
        while (!reusedAfter(directory, firstDataSegments, firstOverwrite.sequence())) {
          assertThat(bWrites)
              .as("writes to b before the log reused one of segments %s", firstDataSegments)
              .isLessThan(VOLUME_B_BYTES / WRITE_BYTES);
          await(
              b.write(
                  (long) bWrites * WRITE_BYTES,
                  tagged(arena, b.id(), bWrites * WRITE_SECTORS, WRITE_SECTORS, 1),
                  false));
          await(b.flush());
          bWrites++;
        }
      } finally {
        store.abandon();
      }
    }
    Path copy = folder.resolve("copy");
    copyDirectory(directory, copy);
    try (Store store = Store.open(configFor(config, copy))) {
      assertThat(store.recoveryReport().batchesReplayed())
          .as("batches replayed after the checkpoint")
          .isPositive();
      assertThat(generations(store.volume("a"), 0, VOLUME_A_BYTES / 512))
          .as("volume a, overwritten after the checkpoint")
          .isEqualTo(repeated(2, VOLUME_A_BYTES / 512));
      assertThat(generations(store.volume("b"), 0, bWrites * WRITE_SECTORS))
          .as("volume b, partly in a reused segment")
          .isEqualTo(repeated(1, bWrites * WRITE_SECTORS));
    }

    LoggedBatch.flipBit(directory, firstOverwrite.dataFileOffsetBytes(), 0);
    assertThatThrownBy(() -> Store.open(config).close())
        .isInstanceOf(CorruptStoreException.class)
        .hasMessageContaining("batch " + firstOverwrite.sequence())
        .hasMessageContaining("cannot be rebuilt");
  }

  /** Writes the whole volume, generation {@code generation}, and flushes. */
  private static void writeAll(Arena arena, Volume volume, int bytes, int generation)
      throws Exception {
    for (int offset = 0; offset < bytes; offset += WRITE_BYTES) {
      await(
          volume.write(
              offset, tagged(arena, volume.id(), offset / 512, WRITE_SECTORS, generation), false));
    }
    await(volume.flush());
  }

  private static LoggedBatch batchWithSequence(Path directory, long sequence) throws Exception {
    return LoggedBatch.scan(directory, CrashFixtures.SEGMENT_BYTES).stream()
        .filter(batch -> batch.sequence() == sequence)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no batch " + sequence + " in the log"));
  }

  /** Whether one of {@code segments} now starts with a batch newer than {@code sequence}. */
  private static boolean reusedAfter(Path directory, Set<Integer> segments, long sequence)
      throws Exception {
    List<LoggedBatch> batches = LoggedBatch.scan(directory, CrashFixtures.SEGMENT_BYTES);
    return batches.stream()
        .anyMatch(
            batch ->
                segments.contains(batch.segment())
                    && batch.offsetBytes() == 0
                    && batch.sequence() > sequence);
  }

  private static StoreConfiguration configFor(StoreConfiguration config, Path directory) {
    return CrashFixtures.directory(directory, LOG_BYTES)
        .checkpointIntervalBytes(config.checkpointIntervalBytes())
        .build();
  }

  private static void copyDirectory(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(file.getFileName()));
      }
    }
  }
}
