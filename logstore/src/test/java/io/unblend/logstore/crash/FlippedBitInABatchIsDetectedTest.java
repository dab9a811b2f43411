package io.unblend.logstore.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.checkpoint.Recovery;
import io.unblend.logstore.checkpoint.RecoveryReport;
import io.unblend.logstore.log.BatchHeader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One flipped bit in the last batch of the log, in its data or in its header, is caught by the
 * batch's checksums: recovery reports the batch as corrupt and serves none of its writes, while the
 * batches before it are replayed intact.
 */
class FlippedBitInABatchIsDetectedTest {
  /** A byte of a batch header's u64 sequence (see {@link BatchHeader}'s diagram). */
  private static final int SEQUENCE_BYTE = 8;

  @TempDir Path folder;

  @ParameterizedTest(name = "data byte {0} of the last batch")
  @ValueSource(ints = {0, 511, 512, 6000, LastBatchScenario.LAST_SECTORS * 512 - 1})
  void aFlippedDataBitIsReportedAndTheBatchIsNotServed(int dataByte) throws Exception {
    LastBatchScenario scenario = LastBatchScenario.write(folder.resolve("data"));
    LoggedBatch last = scenario.last;

    LoggedBatch.flipBit(scenario.directory, last.dataFileOffsetBytes() + dataByte, dataByte % 8);

    RecoveryReport report = scenario.reopenAndCheckTheLastBatchStaysDiscarded();
    assertThat(report.stopReason())
        .startsWith(Recovery.CORRUPT)
        .contains("batch " + last.sequence() + ":")
        .contains("data checksum mismatch")
        .contains("discarded");
  }

  @Test
  void aFlippedBitInAnEntryOfTheHeaderIsReportedAndTheBatchIsNotServed() throws Exception {
    LastBatchScenario scenario = LastBatchScenario.write(folder.resolve("data"));
    LoggedBatch last = scenario.last;

    // The lowest bit of the first entry's volume id: undetected, the write would go elsewhere.
    LoggedBatch.flipBit(scenario.directory, last.fileOffsetBytes() + BatchHeader.ENTRIES_OFFSET, 0);

    RecoveryReport report = scenario.reopenAndCheckTheLastBatchStaysDiscarded();
    assertThat(report.stopReason())
        .startsWith(Recovery.CORRUPT)
        .contains("batch " + last.sequence() + ":")
        .contains("header checksum mismatch");
  }

  @Test
  void aFlippedBitInTheUnusedTailOfTheHeaderIsReportedAndTheBatchIsNotServed() throws Exception {
    LastBatchScenario scenario = LastBatchScenario.write(folder.resolve("data"));
    LoggedBatch last = scenario.last;

    LoggedBatch.flipBit(scenario.directory, last.fileOffsetBytes() + last.headerBytes() - 1, 7);

    RecoveryReport report = scenario.reopenAndCheckTheLastBatchStaysDiscarded();
    assertThat(report.stopReason())
        .startsWith(Recovery.CORRUPT)
        .contains("batch " + last.sequence() + ":")
        .contains("header checksum mismatch");
  }

  @Test
  void aFlippedSequenceBitInAnEarlierBatchIsReportedAsCorruptionNotAsTheEndOfTheLog()
      throws Exception {
    LastBatchScenario scenario = LastBatchScenario.write(folder.resolve("data"));
    LoggedBatch middle =
        LoggedBatch.scan(scenario.directory, CrashFixtures.SEGMENT_BYTES).stream()
            .filter(batch -> batch.sequence() == scenario.last.sequence() - 1)
            .findFirst()
            .orElseThrow();

    LoggedBatch.flipBit(scenario.directory, middle.fileOffsetBytes() + SEQUENCE_BYTE, 4);

    try (Store store = Store.open(scenario.config)) {
      assertThat(store.recoveryReport().stopReason())
          .startsWith(Recovery.CORRUPT)
          .contains("batch " + middle.sequence());
    }
  }

  @Test
  void withoutTheFlippedBitTheSameLogReplaysEveryBatch() throws Exception {
    // The control: the scenario itself leaves all three batches to replay, so the tests above
    // see the effect of the flipped bit and nothing else.
    LastBatchScenario scenario = LastBatchScenario.write(folder.resolve("data"));

    try (Store store = Store.open(scenario.config)) {
      assertThat(store.recoveryReport().stopReason()).doesNotStartWith(Recovery.CORRUPT);
      assertThat(store.recoveryReport().batchesReplayed()).isGreaterThanOrEqualTo(3);
      scenario.assertAllBatchesAreThere(store);
    }
  }
}
