package io.unblend.nativeio;

import io.unblend.nativeio.uring.UringIoEngine;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The engine contract on io_uring, with real files in a temporary folder. */
class UringIoEngineContractTest extends RealFileContract {
  @TempDir Path folder;

  @Override
  protected IoEngine newEngine(int queueDepth) throws NativeIoException {
    return UringIoEngine.open(queueDepth);
  }

  @Override
  protected Path folder() {
    return folder;
  }
}
