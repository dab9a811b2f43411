package io.unblend.logstore.checkpoint;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The log as recovery reads it: in windows of several MiB, so that replaying consecutive batches
 * costs one large read per window instead of two small reads per batch (a tail of 4 KiB writes
 * holds tens of thousands of batches). Replay follows two heads, the client head and the cleaner's
 * cold head, which advance in turn through different segments: each gets a window of its own, and a
 * read that neither window covers refills the one used least recently.
 */
final class LogWindows {
  /** Bytes read at a time, unless a batch is larger. */
  static final long WINDOW_BYTES = 8L << 20;

  private static final int WINDOW_COUNT = 2;

  private final StoreLayout layout;
  private final BlockingIo io;
  private final Arena arena;
  private final long segmentBytes;
  private final Window[] windows = new Window[WINDOW_COUNT];
  private long uses;

  private static final class Window {
    MemorySegment buffer;
    int segment = -1;
    long startBytes;
    long validBytes;
    long lastUse;

    boolean covers(int segment, long offsetBytes, long lengthBytes) {
      return this.segment == segment
          && offsetBytes >= startBytes
          && offsetBytes + lengthBytes <= startBytes + validBytes;
    }
  }

  LogWindows(StoreLayout layout, BlockingIo io, Arena arena) {
    this.layout = layout;
    this.io = io;
    this.arena = arena;
    this.segmentBytes = layout.superblock().segmentBytes();
    for (int i = 0; i < WINDOW_COUNT; i++) {
      windows[i] = new Window();
    }
  }

  /**
   * The log's bytes {@code [offsetBytes, offsetBytes + lengthBytes)} of {@code segment}, valid
   * until the next call; null when the log file or device ends before them. The range must lie
   * within the segment, at a block-aligned offset.
   */
  MemorySegment read(int segment, long offsetBytes, long lengthBytes) throws NativeIoException {
    if (offsetBytes % Bytes.BLOCK_BYTES != 0
        || lengthBytes <= 0
        || offsetBytes + lengthBytes > segmentBytes) {
      throw new IllegalArgumentException(
          "a read of "
              + lengthBytes
              + " bytes at offset "
              + offsetBytes
              + " does not fit a segment of "
              + segmentBytes
              + " bytes");
    }
    Window window = windowCovering(segment, offsetBytes, lengthBytes);
    if (window == null) {
      window = leastRecentlyUsed();
      fill(window, segment, offsetBytes, lengthBytes);
      if (!window.covers(segment, offsetBytes, lengthBytes)) {
        return null;
      }
    }
    window.lastUse = ++uses;
    return window.buffer.asSlice(offsetBytes - window.startBytes, lengthBytes);
  }

  private Window windowCovering(int segment, long offsetBytes, long lengthBytes) {
    for (Window window : windows) {
      if (window.covers(segment, offsetBytes, lengthBytes)) {
        return window;
      }
    }
    return null;
  }

  private Window leastRecentlyUsed() {
    Window oldest = windows[0];
    for (Window window : windows) {
      if (window.lastUse < oldest.lastUse) {
        oldest = window;
      }
    }
    return oldest;
  }

  /** Reads from the offset on, as far as a window reaches, the range needs or the segment ends. */
  private void fill(Window window, int segment, long offsetBytes, long lengthBytes)
      throws NativeIoException {
    long wanted =
        Math.min(
            Math.max(WINDOW_BYTES, Bytes.roundUpToBlock(lengthBytes)), segmentBytes - offsetBytes);
    if (window.buffer == null || window.buffer.byteSize() < wanted) {
      // Small segments (tests) need no more than a segment.
      window.buffer =
          arena.allocate(Math.max(wanted, Math.min(WINDOW_BYTES, segmentBytes)), Bytes.BLOCK_BYTES);
    }
    window.segment = segment;
    window.startBytes = offsetBytes;
    window.validBytes = 0; // Nothing valid if the read fails.
    window.validBytes =
        io.read(
            layout.log().file(),
            layout.byteOffsetOf(segment, offsetBytes),
            window.buffer.asSlice(0, wanted));
  }
}
