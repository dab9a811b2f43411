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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * When the log device fails a batch write the store stops writing (EIO), but it must still answer
 * the requests in that batch and let itself be closed: a power cut while the store runs looks like
 * this to it. Found by {@link StoreMatchesModelAcrossPowerCutsTest}.
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
      Throwable outcome = outcome(volume.write(0, tagged(), false));
      assertThat(outcome)
          .as("the write's answer within %d s (a TimeoutException: none)", ANSWER_SECONDS_MAX)
          .isInstanceOfSatisfying(
              StoreException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
    } finally {
      closeUnlessHung(store);
    }
  }

  @Test
  void closeReturnsAfterABatchWriteFailed() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, Tuning.DISK_BYTES);
    Store store = Store.open(tuning().configuration(disk));
    Volume volume = store.createVolume("failing", 1 << 20);
    disk.faults().failEvery(IoOperation.WRITE, Errno.EIO);
    CompletableFuture<Void> write = volume.write(0, tagged(), false);
    outcome(write);
    assertThat(closeUnlessHung(store))
        .as("whether close returned within %d s", ANSWER_SECONDS_MAX)
        .isTrue();
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

  private static Throwable outcome(CompletableFuture<Void> request) throws InterruptedException {
    try {
      request.get(ANSWER_SECONDS_MAX, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      return e;
    }
  }

  /**
   * Closes the store on a daemon thread; returns whether close returned (normally or with an
   * exception) in time. A hung close is left behind rather than hanging the suite.
   */
  private static boolean closeUnlessHung(Store store) throws InterruptedException {
    Thread closing =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  try {
                    store.close();
                  } catch (java.io.IOException e) {
                    // The disk failed; closing may say so.
                  }
                });
    return closing.join(java.time.Duration.ofSeconds(ANSWER_SECONDS_MAX));
  }
}
