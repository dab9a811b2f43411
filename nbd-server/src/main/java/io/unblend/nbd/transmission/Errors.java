package io.unblend.nbd.transmission;

import static io.unblend.nbd.protocol.NbdConstants.*;

import io.unblend.logstore.StoreException;
import java.util.concurrent.CompletionException;

/** The one mapping from store failures to NBD error values (doc/proto.md "Error values"). */
final class Errors {
  private Errors() {}

  static int nbdError(Throwable failure) {
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    if (!(cause instanceof StoreException store)) {
      return NBD_EIO;
    }
    return switch (store.errno()) {
      case EPERM, EROFS -> NBD_EPERM;
      case ENOSPC, EDQUOT, EFBIG -> NBD_ENOSPC;
      case EINVAL, ENOENT -> NBD_EINVAL;
      case EOVERFLOW -> NBD_EOVERFLOW;
      case ENOMEM -> NBD_ENOMEM;
      case EOPNOTSUPP -> NBD_ENOTSUP;
      default -> NBD_EIO;
    };
  }

  static String message(Throwable failure) {
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }
}
