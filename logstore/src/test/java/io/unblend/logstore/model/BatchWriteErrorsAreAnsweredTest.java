package io.unblend.logstore.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.Volume;
import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoOperation;
import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * When the log device fails a batch write the store stops writing (EIO), but it must still answer
 * the requests in that batch and let itself be closed, a close that reports the failure: a power
 * cut while the store runs looks like this to it. Found by {@link
 * StoreMatchesModelAcrossPowerCutsTest}.
 */
class BatchWriteErrorsAreAnsweredTest {
  private static final long ANSWER_SECONDS_MAX = 10;

  @Test
  void aWriteWhoseBatchFailsIsAnsweredWithEio() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, Tuning.DISK_BYTES);
    Store store = Store.open(tuning().configuration(disk));
    try {
      Volume volume = store.createVolume("failing", 1 << 20);
      disk.faults().failEvery(IoOperation.WRITE, Errno.EIO);
      Throwable outcome = Answers.outcome(volume.write(0, tagged(), false), ANSWER_SECONDS_MAX);
      assertThat(outcome)
          .as("the write's answer within %d s (a TimeoutException: none)", ANSWER_SECONDS_MAX)
          .isInstanceOfSatisfying(
              StoreException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
    } finally {
      Answers.closeUnlessHung(store, ANSWER_SECONDS_MAX);
    }
  }

  @Test
  void closeReturnsAfterABatchWriteFailedAndSaysTheStoreHadFailed() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, Tuning.DISK_BYTES);
    Store store = Store.open(tuning().configuration(disk));
    Volume volume = store.createVolume("failing", 1 << 20);
    disk.faults().failEvery(IoOperation.WRITE, Errno.EIO);
    CompletableFuture<Void> write = volume.write(0, tagged(), false);
    Answers.outcome(write, ANSWER_SECONDS_MAX);
    CompletableFuture<Void> closed = Answers.closing(store);
    // No final checkpoint could be written: a close that said all went well would hide that.
    assertThat(Answers.outcome(closed, ANSWER_SECONDS_MAX))
        .as("how close ended within %d s (a TimeoutException: it did not)", ANSWER_SECONDS_MAX)
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
  }

  private static Tuning tuning() {
    return Tuning.directory(16 << 20, 256 << 10, 2, 64 << 10, 1024, 2);
  }

  /** Data the store may hold on to after a failed test; an automatic arena outlives it. */
  private static MemorySegment tagged() {
    MemorySegment data = Arena.ofAuto().allocate(4096, 4096);
    SectorTags.fill(data, 1, 0, 1);
    return data;
  }
}
