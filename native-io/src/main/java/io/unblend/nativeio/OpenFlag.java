package io.unblend.nativeio;

/** How {@link IoEngine#open} opens a file; a file is always opened for reading. */
public enum OpenFlag {
  /** Create the file (mode 0644) when it does not exist. */
  CREATE,
  /** Open for writing as well as reading. */
  WRITE,
  /** O_DIRECT: bypass the page cache; offsets, lengths and buffers must be block-aligned. */
  DIRECT,
  /** O_DSYNC: every write is durable when it completes, as if followed by fdatasync. */
  DSYNC,
  /**
   * POSIX_FADV_RANDOM: reads come at random offsets, so the kernel reads no more than each asks (no
   * readahead). Only advice: an engine without a page cache ignores it.
   */
  RANDOM_READS
}
