package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.nativeio.CompletionHandler;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Client reads land straight in the caller's memory, so a read is answered only once the kernel is
 * done with it (ADR 0012). When the storage thread stops on an unexpected error while a client read
 * is prepared or in flight, that read is still answered, with the error, after its completion: not
 * left waiting for ever, and not answered while the kernel may still write into its memory.
 */
class AReadInFlightWhenTheStorageThreadFailsIsAnsweredTest {
  /** Fails the storage thread when it prepares a datasync while a client read is not complete. */
  private static final class FailingBesideAClientRead extends DelegatingEngine {
    private final Set<Long> clientReads = ConcurrentHashMap.newKeySet();
    private volatile boolean armed;
    private volatile boolean failed;

    FailingBesideAClientRead(SimulatedIoEngine engine) {
      super(engine);
    }

    @Override
    public boolean prepareRead(IoFile file, long offsetBytes, MemorySegment buffer, long userData)
        throws NativeIoException {
      boolean prepared = super.prepareRead(file, offsetBytes, buffer, userData);
      if (prepared && !file.isDirect()) {
        clientReads.add(userData); // Client reads use the log's cached descriptor.
      }
      return prepared;
    }

    @Override
    public boolean prepareDatasync(IoFile file, long userData) throws NativeIoException {
      if (armed && !clientReads.isEmpty()) {
        failed = true;
        throw new IllegalStateException("an unexpected error beside a client read");
      }
      return super.prepareDatasync(file, userData);
    }

    @Override
    public int awaitCompletions(int minimum, CompletionHandler handler) throws NativeIoException {
      return super.awaitCompletions(
          minimum,
          (userData, result) -> {
            clientReads.remove(userData);
            handler.onCompletion(userData, result);
          });
    }
  }

  @Test
  void theReadFailsWithTheStoreOnceItsCompletionArrives() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);
    FailingBesideAClientRead[] storageEngine = new FailingBesideAClientRead[1];
    StoreConfiguration config =
        StoreFixtures.simulated(disk, 16 << 20)
            .engines(
                depth ->
                    storageEngine[0] == null
                        ? (storageEngine[0] =
                            new FailingBesideAClientRead(new SimulatedIoEngine(disk, depth)))
                        : new SimulatedIoEngine(disk, depth))
            .build();
    Store store = Store.open(config);
    try (Arena arena = Arena.ofShared()) {
      Volume volume = store.createVolume("vm", 1 << 20);
      MemorySegment block = StoreFixtures.tagged(arena, 1, 0, 8, 1);
      volume.write(0, block, false).get();
      volume.flush().get();
      storageEngine[0].armed = true;
      CompletableFuture<Void> read = null;
      for (int attempt = 0; attempt < 1000 && !storageEngine[0].failed; attempt++) {
        // Two writes before each flush, so that the flush needs a datasync: a write after each
        // flush would be written durably, and the flush answered without one (ADR 0013).
        volume.write(8192, block, false).get();
        volume.write(16384, block, false).get();
        read = volume.read(0, arena.allocate(4096, 4096));
        CompletableFuture<Void> flush = volume.flush();
        try {
          read.get(5, TimeUnit.SECONDS);
          flush.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          break; // The store failed: the read and the flush are answered.
        }
      }
      assertThat(storageEngine[0].failed)
          .as("a datasync was prepared in the same pass as a client read")
          .isTrue();
      CompletableFuture<Void> lastRead = read;
      assertThatThrownBy(() -> lastRead.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("storage thread failed: an unexpected error beside a client read");
      // No final checkpoint was written: close says why instead of reporting success.
      assertThatThrownBy(store::close)
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("storage thread failed");
    } finally {
      store.close();
    }
  }
}
