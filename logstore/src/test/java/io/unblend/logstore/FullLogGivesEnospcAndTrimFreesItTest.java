package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * When the log is full, writes fail with ENOSPC and nothing already written is harmed; trims still
 * get logged (a segment stays in reserve for them), and once checkpoints release the dead segments,
 * writes succeed again.
 */
class FullLogGivesEnospcAndTrimFreesItTest {
  private static final int CHUNK = 64 << 10;

  @Test
  void writesFailWithEnospcThenSucceedAfterTrims() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);
    StoreConfiguration config = StoreFixtures.simulated(disk, 4 << 20).build();
    try (Store store = Store.open(config);
        Arena arena = Arena.ofShared()) {
      Volume volume = store.createVolume("big", 16 << 20);
      long written = 0;
      StoreException full = null;
      while (full == null) {
        try {
          volume
              .write(written, StoreFixtures.tagged(arena, 1, written / 512, CHUNK / 512, 1), false)
              .get();
          written += CHUNK;
        } catch (ExecutionException e) {
          full = (StoreException) e.getCause();
        }
      }
      assertThat(full.errno().name()).isEqualTo("ENOSPC");
      assertThat(full.getMessage()).contains("the log is full");
      assertThat(written).isGreaterThan(2L << 20);
      volume.flush().get();
      assertReads(volume, arena, 0, written);

      volume.trim(0, written, false).get();
      volume.flush().get();
      // Dead segments come back once two checkpoints no longer need them.
      boolean accepted = false;
      for (int attempt = 0; attempt < 200 && !accepted; attempt++) {
        try {
          volume.write(0, StoreFixtures.tagged(arena, 1, 0, CHUNK / 512, 2), false).get();
          accepted = true;
        } catch (ExecutionException e) {
          assertThat(((StoreException) e.getCause()).errno().name()).isEqualTo("ENOSPC");
          Thread.sleep(10);
        }
      }
      assertThat(accepted).as("a write succeeds after the trim freed the log").isTrue();
    }
  }

  private static void assertReads(Volume volume, Arena arena, long from, long to) throws Exception {
    for (long offset = from; offset < to; offset += CHUNK) {
      MemorySegment read = arena.allocate(CHUNK, 4096);
      volume.read(offset, read).get();
      assertThat(read.mismatch(StoreFixtures.tagged(arena, 1, offset / 512, CHUNK / 512, 1)))
          .as("offset %d", offset)
          .isEqualTo(-1);
    }
  }
}
