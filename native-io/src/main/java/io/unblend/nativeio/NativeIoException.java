package io.unblend.nativeio;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A failed native operation: carries the errno (number and name) and what the operation touched
 * (file, offset, length), so a log line or an NBD error can say exactly what failed.
 */
public final class NativeIoException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Stands for "no offset or length applies to this operation". */
  public static final long NONE = -1;

  private final int errno;
  private final String operation;
  private final transient Path path;
  private final long offsetBytes;
  private final long lengthBytes;

  public NativeIoException(
      int errno, String operation, Path path, long offsetBytes, long lengthBytes, String detail) {
    super(message(errno, operation, path, offsetBytes, lengthBytes, detail));
    this.errno = errno;
    this.operation = operation;
    this.path = path;
    this.offsetBytes = offsetBytes;
    this.lengthBytes = lengthBytes;
  }

  /** An operation on a file that failed with {@code errno} and nothing more to say. */
  public static NativeIoException of(
      int errno, String operation, Path path, long offsetBytes, long lengthBytes) {
    return new NativeIoException(errno, operation, path, offsetBytes, lengthBytes, null);
  }

  /** An operation that touches no file (ring setup, mmap) and failed with {@code errno}. */
  public static NativeIoException of(int errno, String operation) {
    return new NativeIoException(errno, operation, null, NONE, NONE, null);
  }

  /**
   * Turns the result of an asynchronous operation into an exception: {@code result} is the negative
   * errno that a completion carries.
   */
  public static NativeIoException fromResult(
      int result, String operation, IoFile file, long offsetBytes, long lengthBytes) {
    return of(-result, operation, file.path(), offsetBytes, lengthBytes);
  }

  public int errno() {
    return errno;
  }

  /** "ENOSPC", or "errno N" for a number {@link Errno} does not name. */
  public String errnoName() {
    return Errno.nameOf(errno);
  }

  public String operation() {
    return operation;
  }

  /** The file involved, or {@code null} for an operation on no file. */
  public Path path() {
    return path;
  }

  public long offsetBytes() {
    return offsetBytes;
  }

  public long lengthBytes() {
    return lengthBytes;
  }

  private static String message(
      int errno, String operation, Path path, long offsetBytes, long lengthBytes, String detail) {
    StringBuilder message = new StringBuilder(operation).append(" failed: ");
    message.append(Errno.nameOf(errno)).append(" (").append(Errno.describe(errno)).append(')');
    if (detail != null) {
      message.append(": ").append(detail);
    }
    if (path != null) {
      message.append(" file=").append(path);
    }
    if (offsetBytes != NONE) {
      message.append(" offset=").append(offsetBytes);
    }
    if (lengthBytes != NONE) {
      message.append(" length=").append(lengthBytes);
    }
    return message.toString();
  }
}
