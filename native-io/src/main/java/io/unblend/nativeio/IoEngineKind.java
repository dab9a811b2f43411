package io.unblend.nativeio;

import java.util.Locale;

/** Which {@link IoEngine} to use; chosen by configuration, {@link #AUTO} by default. */
public enum IoEngineKind {
  /** io_uring where the kernel allows it, else the pread/pwrite fallback. */
  AUTO("auto"),
  IO_URING("io_uring"),
  PREAD("pread");

  private final String configName;

  IoEngineKind(String configName) {
    this.configName = configName;
  }

  /** The value a configuration file or property gives for this kind. */
  public String configName() {
    return configName;
  }

  /** Parses a configured value; the error names the setting and what it accepts. */
  public static IoEngineKind parse(String setting, String value) {
    for (IoEngineKind kind : values()) {
      if (kind.configName.equals(value.trim().toLowerCase(Locale.ROOT))) {
        return kind;
      }
    }
    throw new IllegalArgumentException(
        setting + "=" + value + " is not an I/O engine; use one of auto, io_uring, pread");
  }
}
