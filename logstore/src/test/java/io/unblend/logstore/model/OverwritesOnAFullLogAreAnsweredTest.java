package io.unblend.logstore.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.Volume;
import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Overwriting the same range again and again, without a flush, on a log of four segments: each
 * batch kills the segment of the one before, but a dead segment comes free only once checkpoints
 * have moved past it, and those need the log to be durable first. Every write must be answered
 * (written, or refused with ENOSPC), however the store makes room. Found by {@link
 * StoreMatchesModelAcrossPowerCutsTest}.
 */
class OverwritesOnAFullLogAreAnsweredTest {
  private static final int OVERWRITES = 12;
  private static final long ANSWER_SECONDS_MAX = 10;

  @Test
  void everyOverwriteIsAnsweredWhileDeadSegmentsWaitForACheckpoint() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, Tuning.DISK_BYTES);
    // One 64 KiB write and its header fill more than half a 128 KiB segment: one batch each.
    Tuning fourSegments = Tuning.directory(512 << 10, 128 << 10, 4, 64 << 10, 1024, 1);
    Store store = Store.open(fourSegments.configuration(disk));
    try {
      // Writes keep their data until answered; an automatic arena outlives a hung store.
      MemorySegment data = Arena.ofAuto().allocate(64 << 10, 4096);
      Volume volume = store.createVolume("overwritten", 1 << 20);
      for (int i = 1; i <= OVERWRITES; i++) {
        SectorTags.fill(data, 1, 0, i);
        Throwable outcome = Answers.outcome(volume.write(0, data, false), ANSWER_SECONDS_MAX);
        assertThat(outcome == null || Answers.isEnospc(outcome))
            .as(
                "overwrite %d of %d was answered within %d s with success or ENOSPC, not %s",
                i, OVERWRITES, ANSWER_SECONDS_MAX, outcome)
            .isTrue();
      }
    } finally {
      Answers.closeUnlessHung(store, ANSWER_SECONDS_MAX);
    }
  }
}
