package io.unblend.nativeio;

import io.unblend.nativeio.fallback.PositionalIoEngine;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The engine contract on the pread/pwrite fallback, forced on, with real files. */
class PositionalIoEngineContractTest extends RealFileContract {
  @TempDir Path folder;

  @Override
  protected IoEngine newEngine(int queueDepth) {
    return new PositionalIoEngine(queueDepth);
  }

  @Override
  protected Path folder() {
    return folder;
  }
}
