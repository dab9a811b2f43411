package io.unblend.logstore.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.Volume;
import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Random overwrites of a volume half the size of a log of four segments: live data fills two
 * segments, one is the reserve, so clients can win at most a little room. Every write must be
 * answered, written or refused with ENOSPC, while the cleaner does what it can. Found by {@link
 * StoreMatchesModelAcrossPowerCutsTest}, which keeps live data under a third of the log until this
 * passes.
 */
class OverwritesOfHalfASmallLogAreAnsweredTest {
  private static final long ANSWER_SECONDS_MAX = 5;
  private static final int WRITES_IN_FLIGHT = 4;
  private static final int VOLUME_SECTORS = 512; // 256 KiB, half the log

  @Test
  void everyOverwriteIsAnsweredWhileTheCleanerCannotWinASegment() throws Exception {
    for (long seed = 1; seed <= 4; seed++) {
      overwrite(seed);
    }
  }

  private static void overwrite(long seed) throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, Tuning.DISK_BYTES);
    Tuning fourSegments = Tuning.directory(512 << 10, 128 << 10, 1, 16 << 10, 1024, 2);
    Store store = Store.open(fourSegments.configuration(disk));
    try {
      // An automatic arena: writes the store never answers keep their buffers.
      Arena arena = Arena.ofAuto();
      MemorySegment[] buffers = new MemorySegment[WRITES_IN_FLIGHT];
      for (int i = 0; i < WRITES_IN_FLIGHT; i++) {
        buffers[i] = arena.allocate(64 << 10, 4096);
      }
      Volume volume = store.createVolume("half", VOLUME_SECTORS * 512L);
      SplittableRandom random = new SplittableRandom(seed);
      for (long written = 0; written < (2 << 20); ) {
        List<CompletableFuture<Void>> group = new ArrayList<>();
        for (int i = 0; i < WRITES_IN_FLIGHT; i++) {
          int sector = random.nextInt(VOLUME_SECTORS) / 8 * 8;
          int sectorCount = Math.min(8 * (1 + random.nextInt(16)), VOLUME_SECTORS - sector);
          MemorySegment data = buffers[i].asSlice(0, sectorCount * 512L);
          SectorTags.fill(data, 1, sector, written + i + 1);
          group.add(volume.write(sector * 512L, data, false));
          written += sectorCount * 512L;
        }
        for (CompletableFuture<Void> write : group) {
          Throwable outcome = Answers.outcome(write, ANSWER_SECONDS_MAX);
          assertThat(outcome == null || Answers.isEnospc(outcome))
              .as(
                  "with seed %d, after %d bytes, a write was answered within %d s with success or"
                      + " ENOSPC, not %s; %s",
                  seed, written, ANSWER_SECONDS_MAX, outcome, store.status())
              .isTrue();
          if (outcome != null) {
            return;
          }
        }
      }
    } finally {
      store.abandon();
    }
  }
}
