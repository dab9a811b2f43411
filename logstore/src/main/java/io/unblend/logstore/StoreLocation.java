package io.unblend.logstore;

import java.nio.file.Path;

/** Where a store lives: a data directory of files, or a raw block device or partition. */
public sealed interface StoreLocation {
  Path path();

  /**
   * A directory holding {@code superblock}, {@code checkpoint.0}, {@code checkpoint.1}, {@code
   * log}.
   */
  record Directory(Path path) implements StoreLocation {}

  /** A block device: superblock, two checkpoint slots and the log, one after another. */
  record Device(Path path) implements StoreLocation {}
}
