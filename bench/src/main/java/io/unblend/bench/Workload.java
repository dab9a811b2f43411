package io.unblend.bench;

import io.unblend.nativeio.NativeIoException;

/** One benchmark loop over an open file. */
public interface Workload {
  /**
   * Writes for {@code durationNanos}, then waits for every write in flight, and measures it all;
   * the first failed or short write stops the run.
   */
  Measurement run(long durationNanos) throws NativeIoException;
}
