package io.unblend.nbd.testing;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Small stores on native-io's simulated disk, for protocol tests that need real volumes but no
 * files: the settings of logstore's StoreFixtures.simulated, whose test classes are not on this
 * module's class path.
 */
public final class SimulatedStores {
  private static final int SEGMENT_BYTES = 256 << 10;

  private SimulatedStores() {}

  /** An empty store of 8 MiB of log on a fresh 64 MiB simulated disk. */
  public static Store open() throws IOException {
    SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);
    StoreConfiguration config =
        StoreConfiguration.at(new StoreLocation.Directory(Path.of("/sim/store")))
            .locking(false)
            .logBytes(8 << 20)
            .segmentBytes(SEGMENT_BYTES)
            .batchBytesMax(64 << 10)
            .requestBytesMax(64 << 10)
            .inFlightBytesMax(1 << 20)
            .readsInFlightMax(8)
            .checkpointIntervalBytes(SEGMENT_BYTES * 2L)
            .queueDepth(64)
            .engines(depth -> new SimulatedIoEngine(disk, depth))
            .build();
    return Store.open(config);
  }
}
