package io.unblend.bench;

import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.fallback.PositionalIoEngine;
import io.unblend.nativeio.uring.UringIoEngine;

/** The engine a benchmark run measures, named as on the command line. */
public enum EngineKind {
  IO_URING("io_uring"),
  PREAD("pread");

  private final String flagValue;

  EngineKind(String flagValue) {
    this.flagValue = flagValue;
  }

  public String flagValue() {
    return flagValue;
  }

  public IoEngine open(int queueDepth) throws NativeIoException {
    return switch (this) {
      case IO_URING -> UringIoEngine.open(queueDepth);
      case PREAD -> new PositionalIoEngine(queueDepth);
    };
  }

  public static EngineKind parse(String value) {
    for (EngineKind kind : values()) {
      if (kind.flagValue.equals(value)) {
        return kind;
      }
    }
    throw new IllegalArgumentException("--engine " + value + " must be io_uring or pread");
  }
}
