package io.unblend.nbd.cli;

import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the store is, for {@code serve} and every command that works on a store: a data directory
 * (default {@code $UNBLEND_DATA_DIR}, else {@code ./data}) or a block device. The data directory
 * also holds the running server's admin socket, even when the store is on a device.
 */
public final class StoreOptions {
  /** The admin socket's file name in the data directory. */
  public static final String ADMIN_SOCKET = "admin.sock";

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "The store's data directory, which also holds the server's admin socket (default: ./data in the project, or $UNBLEND_DATA_DIR).")
  Path dataDirectory;

  @Option(
      names = "--device",
      paramLabel = "PATH",
      description = "Keep the store on this block device or partition instead of a directory.")
  Path device;

  /** The data directory given, or the default one. */
  public Path dataDirectory() {
    if (dataDirectory != null) {
      return dataDirectory;
    }
    String configured = System.getenv("UNBLEND_DATA_DIR");
    return Path.of(configured != null && !configured.isEmpty() ? configured : "data");
  }

  /** The block device, or null for a store in the data directory. */
  public Path device() {
    return device;
  }

  public StoreLocation location() {
    return device != null
        ? new StoreLocation.Device(device)
        : new StoreLocation.Directory(dataDirectory());
  }

  /** Where a server holding this store answers admin commands. */
  public Path adminSocket() {
    return dataDirectory().resolve(ADMIN_SOCKET);
  }

  /** The store's settings so far: its location; callers add what they need. */
  public StoreConfiguration.Builder configuration() {
    return StoreConfiguration.at(location());
  }
}
