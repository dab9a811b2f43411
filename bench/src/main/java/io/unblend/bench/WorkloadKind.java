package io.unblend.bench;

import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import java.lang.foreign.MemorySegment;

/** What a benchmark run does with the file, named as on the command line. */
public enum WorkloadKind {
  /** Sequential writes, queue depth of them in flight, wrapping around at the end of the file. */
  WRITE("write"),
  /** One write then fdatasync, again and again: fio's {@code --fdatasync=1} at queue depth 1. */
  DATASYNC("datasync");

  private final String flagValue;

  WorkloadKind(String flagValue) {
    this.flagValue = flagValue;
  }

  public String flagValue() {
    return flagValue;
  }

  /**
   * @param buffers one registered buffer (index 0's region) for each write in flight
   */
  public Workload create(
      IoEngine engine, IoFile file, MemorySegment[] buffers, AppendCursor cursor) {
    return switch (this) {
      case WRITE -> new SequentialWriteWorkload(engine, file, buffers, cursor);
      case DATASYNC -> new DatasyncWorkload(engine, file, buffers[0], cursor);
    };
  }

  public static WorkloadKind parse(String value) {
    for (WorkloadKind kind : values()) {
      if (kind.flagValue.equals(value)) {
        return kind;
      }
    }
    throw new IllegalArgumentException("--workload " + value + " must be write or datasync");
  }
}
