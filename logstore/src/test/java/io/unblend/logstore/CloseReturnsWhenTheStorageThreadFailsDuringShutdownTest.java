package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An unexpected error on the storage thread while it finishes a shutdown (here: the datasync that
 * makes the last writes durable throws) must still answer the shutdown: Store.close reports the
 * failure instead of waiting for ever, and a request sent after the thread stopped is refused.
 */
class CloseReturnsWhenTheStorageThreadFailsDuringShutdownTest {
  @Test
  void closeReportsTheFailureAndLaterRequestsAreRefused() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);
    FailingDatasync[] storageEngine = new FailingDatasync[1];
    StoreConfiguration config =
        StoreFixtures.simulated(disk, 16 << 20)
            .engines(
                depth -> {
                  // The first engine is the storage thread's; the others are the checkpointer's.
                  if (storageEngine[0] != null) {
                    return new SimulatedIoEngine(disk, depth);
                  }
                  storageEngine[0] = new FailingDatasync(new SimulatedIoEngine(disk, depth));
                  return storageEngine[0];
                })
            .build();
    Store store = Store.open(config);
    try (Arena arena = Arena.ofShared()) {
      Volume volume = store.createVolume("vm", 1 << 20);
      volume.write(0, StoreFixtures.tagged(arena, 1, 0, 8, 1), false).get();
      storageEngine[0].armed = true; // The shutdown's datasync now fails the thread.
      CompletableFuture<Void> closed =
          CompletableFuture.runAsync(
              () -> {
                try {
                  store.close();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThatThrownBy(() -> closed.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("storage thread failed")
          .hasMessageContaining("an unexpected error during the shutdown");
      assertThatThrownBy(() -> volume.flush().get(10, TimeUnit.SECONDS))
          .hasMessageContaining("the store is closed");
    }
  }

  private static final class FailingDatasync extends DelegatingEngine {
    volatile boolean armed;

    FailingDatasync(IoEngine engine) {
      super(engine);
    }

    @Override
    public boolean prepareDatasync(IoFile file, long userData) throws NativeIoException {
      if (armed) {
        throw new IllegalStateException("an unexpected error during the shutdown");
      }
      return super.prepareDatasync(file, userData);
    }
  }
}
