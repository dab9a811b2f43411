package io.unblend.logstore.layout;

import java.io.IOException;

/** A store's metadata on disk cannot be read: the message says which structure and why. */
public final class CorruptStoreException extends IOException {
  private static final long serialVersionUID = 1L;

  public CorruptStoreException(String message) {
    super(message);
  }
}
