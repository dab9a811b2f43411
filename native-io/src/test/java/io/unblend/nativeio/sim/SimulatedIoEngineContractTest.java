package io.unblend.nativeio.sim;

import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoEngineContract;
import java.nio.file.Path;

/** The simulated engine keeps every promise the real engines keep. */
class SimulatedIoEngineContractTest extends IoEngineContract {
  private final SimulatedDisk disk = new SimulatedDisk(BLOCK, 64L << 20);

  @Override
  protected IoEngine newEngine(int queueDepth) {
    return new SimulatedIoEngine(disk, queueDepth);
  }

  @Override
  protected Path newPath(String name) {
    return Path.of(name);
  }
}
