package io.unblend.bench;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.IoOperation;
import io.unblend.nativeio.NativeIoException;

/**
 * Checks what the engine answers. A failed or short write ends the run with the errno: a benchmark
 * that lost a write measured nothing.
 */
final class ResultChecks {
  private ResultChecks() {}

  /** The workloads never prepare more than the queue depth, so a full queue is a bug. */
  static void checkPrepared(boolean prepared, IoEngine engine) {
    if (!prepared) {
      throw new IllegalStateException(
          "the engine refused an operation with "
              + engine.inFlight()
              + " of "
              + engine.queueDepth()
              + " in flight");
    }
  }

  static void checkWrite(IoFile file, long offsetBytes, long lengthBytes, int result)
      throws NativeIoException {
    String operation = IoOperation.WRITE_FIXED.label();
    if (result < 0) {
      throw NativeIoException.fromResult(result, operation, file, offsetBytes, lengthBytes);
    }
    if (result != lengthBytes) {
      throw new NativeIoException(
          Errno.EIO.number(),
          operation,
          file.path(),
          offsetBytes,
          lengthBytes,
          "short write: " + result + " of " + lengthBytes + " bytes written");
    }
  }

  static void checkDatasync(IoFile file, int result) throws NativeIoException {
    if (result < 0) {
      throw NativeIoException.fromResult(
          result,
          IoOperation.DATASYNC.label(),
          file,
          NativeIoException.NONE,
          NativeIoException.NONE);
    }
  }
}
