package io.unblend.nativeio;

import io.unblend.nativeio.fallback.PositionalIoEngine;
import io.unblend.nativeio.uring.UringIoEngine;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens the configured engine. With {@link IoEngineKind#AUTO} it tries io_uring and falls back to
 * pread/pwrite when the kernel refuses it (io_uring_disabled, a seccomp profile such as Docker's
 * default, an old kernel), saying in one log line which engine is in use and why.
 */
public final class IoEngines {
  private static final System.Logger LOG = System.getLogger(IoEngines.class.getName());
  private static final Path IO_URING_DISABLED = Path.of("/proc/sys/kernel/io_uring_disabled");

  /** Sets up an io_uring engine; a seam so that tests can stand in for a refusing kernel. */
  @FunctionalInterface
  interface UringOpener {
    IoEngine open(int queueDepth) throws NativeIoException;
  }

  private IoEngines() {}

  public static IoEngine open(NativeIoConfiguration configuration) throws NativeIoException {
    int depth = configuration.queueDepth();
    IoEngine engine =
        switch (configuration.engine()) {
          case IO_URING -> UringIoEngine.open(depth);
          case PREAD -> new PositionalIoEngine(depth);
          case AUTO -> openAuto(depth, UringIoEngine::open);
        };
    if (configuration.engine() != IoEngineKind.AUTO) {
      LOG.log(
          Level.INFO,
          "native I/O engine: {0} (queue depth {1}, chosen by {2}={3})",
          engine.name(),
          depth,
          NativeIoConfiguration.ENGINE,
          configuration.engine().configName());
    }
    return engine;
  }

  static IoEngine openAuto(int depth, UringOpener uring) {
    try {
      IoEngine engine = uring.open(depth);
      LOG.log(Level.INFO, "native I/O engine: io_uring (queue depth {0})", depth);
      return engine;
    } catch (NativeIoException refused) {
      LOG.log(
          Level.WARNING,
          "native I/O engine: pread/pwrite fallback (queue depth {0}): io_uring was refused: {1}{2}",
          depth,
          refused.getMessage(),
          disabledSetting());
      return new PositionalIoEngine(depth);
    }
  }

  private static String disabledSetting() {
    try {
      String value = Files.readString(IO_URING_DISABLED).trim();
      return "0".equals(value) ? "" : " (" + IO_URING_DISABLED + " is " + value + ")";
    } catch (IOException e) {
      return "";
    }
  }
}
