package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Group commit: flushes that wait together are answered by one datasync, across volumes. Counted by
 * an engine wrapper that sees every datasync the store issues on its log.
 */
class FlushesShareOneDatasyncTest {
  @Test
  void manyConcurrentFlushesNeedFarFewerDatasyncs() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);
    AtomicLong datasyncs = new AtomicLong();
    StoreConfiguration config =
        StoreFixtures.simulated(disk, 8 << 20)
            .checkpointIntervalBytes(8L << 20)
            .engines(depth -> new CountingEngine(new SimulatedIoEngine(disk, depth), datasyncs))
            .build();
    try (Store store = Store.open(config);
        Arena arena = Arena.ofShared()) {
      Volume[] volumes = {store.createVolume("a", 1 << 20), store.createVolume("b", 1 << 20)};
      long before = datasyncs.get();
      List<CompletableFuture<Void>> flushes = new ArrayList<>();
      int rounds = 20;
      for (int round = 0; round < rounds; round++) {
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          Volume volume = volumes[i % 2];
          writes.add(
              volume.write(i * 4096L, StoreFixtures.tagged(arena, i % 2, i * 8L, 8, round), false));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();
        for (int i = 0; i < 16; i++) {
          flushes.add(volumes[i % 2].flush());
        }
      }
      CompletableFuture.allOf(flushes.toArray(CompletableFuture[]::new)).get();
      long used = datasyncs.get() - before;
      assertThat(used).isPositive().isLessThanOrEqualTo(rounds * 2L);
      assertThat(flushes).hasSize(rounds * 16);
    }
  }

  /** Counts datasyncs on the way to the real engine. */
  private static final class CountingEngine extends DelegatingEngine {
    private final AtomicLong datasyncs;

    CountingEngine(IoEngine engine, AtomicLong datasyncs) {
      super(engine);
      this.datasyncs = datasyncs;
    }

    @Override
    public boolean prepareDatasync(IoFile file, long userData) throws NativeIoException {
      boolean prepared = super.prepareDatasync(file, userData);
      if (prepared && file.path().getFileName().toString().equals("log")) {
        datasyncs.incrementAndGet();
      }
      return prepared;
    }
  }
}
