package io.unblend.logstore;

import io.unblend.nativeio.Errno;
import java.io.IOException;

/**
 * A request the store could not carry out, with the errno that the NBD layer answers with: ENOSPC
 * (log or map memory full), EINVAL (out of range, misaligned), ENOENT (no such volume), EEXIST (the
 * name is taken), EIO (the log device failed; the store stops writing).
 */
public final class StoreException extends IOException {
  private static final long serialVersionUID = 1L;

  private final Errno errno;

  public StoreException(Errno errno, String message) {
    super(message);
    this.errno = errno;
  }

  public StoreException(Errno errno, String message, Throwable cause) {
    super(message, cause);
    this.errno = errno;
  }

  public Errno errno() {
    return errno;
  }
}
