package io.unblend.nbd.cli;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.nativeio.Errno;
import io.unblend.nbd.admin.AdminClient;
import io.unblend.nbd.server.ExportConnections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A store command run from the command line: sent to the server that holds the store, through its
 * admin socket; when no server answers there, run against the store opened here, then closed.
 */
final class StandaloneAccess implements StoreAccess {
  /** Held so that the level set on it stays set (the JDK keeps loggers weakly). */
  private static final Logger STORE_LOG = Logger.getLogger("io.unblend");

  @Override
  public int run(StoreCommand command) throws Exception {
    StoreOptions options = command.storeOptions();
    Path socket = options.adminSocket();
    System.out.flush();
    OptionalInt forwarded =
        AdminClient.forward(socket, command.arguments(), System.out, System.err);
    if (forwarded.isPresent()) {
      return forwarded.getAsInt();
    }
    try (Store store = open(options, socket)) {
      return command.runOn(store, ExportConnections.NONE);
    }
  }

  private static Store open(StoreOptions options, Path socket) throws Exception {
    Path directory = options.dataDirectory();
    if (options.device() == null && !Files.isDirectory(directory)) {
      throw noStore(directory);
    }
    // The store's start-up lines are for a server's log, not for this command's output.
    STORE_LOG.setLevel(Level.WARNING);
    try {
      return Store.open(options.configuration().createIfMissing(false).build());
    } catch (StoreException e) {
      if (e.errno() == Errno.EBUSY) {
        throw new CommandFailure(
            e.getMessage()
                + "; and no server answers on "
                + socket
                + ", so this command cannot reach the store (is that process an unblend server"
                + " started with another --data-dir?)");
      }
      if (e.errno() == Errno.ENOENT && options.device() == null) {
        throw noStore(directory);
      }
      throw e;
    }
  }

  private static CommandFailure noStore(Path directory) {
    return new CommandFailure(
        "no unblend store in "
            + directory
            + " (give --data-dir, or create one with ./unblend serve --data-dir "
            + directory
            + ")");
  }
}
