package io.unblend.logstore.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.Volume;
import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * When the log is full, the batch that finds no segment fails with ENOSPC; requests queued behind
 * it must still be answered (with ENOSPC, or written once a checkpoint frees a segment), not left
 * waiting until some unrelated request wakes the storage thread. Found by {@link
 * StoreMatchesModelAcrossPowerCutsTest}.
 */
class WritesQueuedBehindAFullLogAreAnsweredTest {
  private static final int WRITES_QUEUED = 16;
  private static final long ANSWER_SECONDS_MAX = 10;

  @Test
  void everyWriteIssuedAfterTheLogFilledUpIsAnswered() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, Tuning.DISK_BYTES);
    // Two segments, and one entry per batch, so that a queued write never joins the failing batch.
    Tuning twoSegments = Tuning.directory(512 << 10, 256 << 10, 1, 64 << 10, 1, 1);
    Store store = Store.open(twoSegments.configuration(disk));
    try {
      // Queued writes keep their data until answered; an automatic arena outlives a hung store.
      Arena arena = Arena.ofAuto();
      Volume volume = store.createVolume("full", 1 << 20);
      MemorySegment chunk = arena.allocate(64 << 10, 4096);
      SectorTags.fill(chunk, 1, 0, 1);
      boolean full = false;
      for (long offset = 0; offset < volume.sizeBytes() && !full; offset += chunk.byteSize()) {
        full =
            Answers.isEnospc(
                Answers.outcome(volume.write(offset, chunk, false), ANSWER_SECONDS_MAX));
      }
      assertThat(full).as("the log filled up").isTrue();

      MemorySegment block = chunk.asSlice(0, 4096);
      List<CompletableFuture<Void>> queued = new ArrayList<>();
      CompletableFuture<Void> read;
      // The simulated disk's lock holds the storage thread in the read's disk access, so that the
      // writes queue up together: the first few fill the log, one fails with ENOSPC, and the rest
      // wait behind it.
      synchronized (disk) {
        read = volume.read(0, arena.allocate(4096, 4096));
        for (int i = 0; i < WRITES_QUEUED; i++) {
          queued.add(volume.write(0, block, false));
        }
      }
      assertThat(Answers.outcome(read, ANSWER_SECONDS_MAX)).as("the read meanwhile").isNull();
      for (int i = 0; i < WRITES_QUEUED; i++) {
        Throwable outcome = Answers.outcome(queued.get(i), ANSWER_SECONDS_MAX);
        assertThat(outcome == null || Answers.isEnospc(outcome))
            .as(
                "write %d of %d queued behind a full log was answered within %d s with success or"
                    + " ENOSPC, not %s",
                i + 1, WRITES_QUEUED, ANSWER_SECONDS_MAX, outcome)
            .isTrue();
      }
    } finally {
      Answers.closeUnlessHung(store, ANSWER_SECONDS_MAX);
    }
  }
}
