package io.unblend.logstore.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * A group snapshot takes one batch entry per volume, all in one batch. A group of more volumes than
 * a batch holds entries can never be logged: it must be refused (or otherwise answered), and must
 * not hold up the changes behind it. Found by {@link StoreMatchesModelAcrossPowerCutsTest}, which
 * keeps its groups within a batch until this passes.
 */
class GroupSnapshotsLargerThanABatchAreAnsweredTest {
  private static final long ANSWER_SECONDS_MAX = 5;

  @Test
  void aGroupOfMoreVolumesThanABatchHoldsEntriesIsAnswered() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, Tuning.DISK_BYTES);
    Tuning threeEntries = Tuning.directory(16 << 20, 128 << 10, 2, 16 << 10, 3, 3);
    Store store = Store.open(threeEntries.configuration(disk));
    try {
      List<String> names = List.of("a", "b", "c", "d");
      for (String name : names) {
        store.createVolume(name, 1 << 20);
      }
      CompletableFuture<Throwable> group =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  store.createGroupSnapshot("s", names);
                  return null;
                } catch (StoreException e) {
                  return e;
                }
              });
      assertThat(answered(group)).as("the group snapshot of four volumes was answered").isTrue();
      // An automatic arena: a write the store never answers keeps its buffer.
      MemorySegment data = Arena.ofAuto().allocate(4096, 4096);
      assertThat(answered(store.volume("a").write(0, data, false)))
          .as("a write after the group snapshot was answered")
          .isTrue();
    } finally {
      store.abandon();
    }
  }

  private static boolean answered(CompletableFuture<?> future) throws InterruptedException {
    try {
      future.get(ANSWER_SECONDS_MAX, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      return true;
    } catch (TimeoutException e) {
      return false;
    }
  }
}
