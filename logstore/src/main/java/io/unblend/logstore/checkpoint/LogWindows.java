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
 * holds tens of thousands of batches), and with the next window of each segment already being read
 * while the batches of the current one are checked and applied.
 *
 * <p>Replay follows two heads, the client head and the cleaner's cold head, which advance in turn
 * through different segments: each gets a window of its own, and a read that neither window covers
 * refills the one used least recently. A batch that runs past the end of its window continues in
 * the window read ahead: the part already read is carried over in front of it, so the stream of
 * batches is read exactly once.
 */
final class LogWindows implements AutoCloseable {
  /** Bytes read at a time, unless a batch is larger. */
  static final long WINDOW_BYTES = 4L << 20;

  /** Room in front of a window for the start of a batch that the window before it cut off. */
  static final long CARRY_BYTES = 2L << 20;

  private static final int WINDOW_COUNT = 2;

  private final StoreLayout layout;
  private final BlockingIo io;
  private final Arena arena;
  private final long segmentBytes;
  private final long carryBytes;
  private final long windowBytes;
  private final Window[] windows = new Window[WINDOW_COUNT];
  private long uses;

  /**
   * The log bytes {@code [fromBytes, toBytes)} of one segment, held in {@code buffer} at {@code
   * position - baseBytes}; and the read of the bytes that follow, into {@code ahead}.
   */
  private static final class Window {
    MemorySegment buffer;
    int segment = -1;
    long baseBytes;
    long fromBytes;
    long toBytes;
    long lastUse;

    MemorySegment ahead;
    BlockingIo.StartedRead aheadRead;

    boolean covers(int segment, long offsetBytes, long lengthBytes) {
      return this.segment == segment
          && offsetBytes >= fromBytes
          && offsetBytes + lengthBytes <= toBytes;
    }
  }

  LogWindows(StoreLayout layout, BlockingIo io, Arena arena) {
    this.layout = layout;
    this.io = io;
    this.arena = arena;
    this.segmentBytes = layout.superblock().segmentBytes();
    // Small segments (tests) need no more than a segment.
    this.carryBytes = Math.min(CARRY_BYTES, segmentBytes);
    this.windowBytes = Math.min(WINDOW_BYTES, segmentBytes);
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
      window = windowContinuedBy(segment, offsetBytes, lengthBytes);
      if (window != null) {
        advance(window, offsetBytes);
      } else {
        window = leastRecentlyUsed();
        fill(window, segment, offsetBytes, lengthBytes);
      }
      if (!window.covers(segment, offsetBytes, lengthBytes)) {
        return null;
      }
    }
    window.lastUse = ++uses;
    return window.buffer.asSlice(offsetBytes - window.baseBytes, lengthBytes);
  }

  /** Waits for the reads still in flight: their buffers must outlive them. */
  @Override
  public void close() {
    for (Window window : windows) {
      dropReadAhead(window);
    }
  }

  private Window windowCovering(int segment, long offsetBytes, long lengthBytes) {
    for (Window window : windows) {
      if (window.covers(segment, offsetBytes, lengthBytes)) {
        return window;
      }
    }
    return null;
  }

  /**
   * The window whose read-ahead continues the range: the range starts in the window (or right at
   * its end) and ends within what is being read ahead, and the part in the window fits the carry.
   */
  private Window windowContinuedBy(int segment, long offsetBytes, long lengthBytes) {
    for (Window window : windows) {
      if (window.aheadRead != null
          && window.segment == segment
          && offsetBytes >= window.fromBytes
          && offsetBytes <= window.toBytes
          && window.toBytes - offsetBytes <= carryBytes
          && offsetBytes + lengthBytes <= window.toBytes + window.aheadRead.lengthBytes()) {
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

  /**
   * Moves the window on to its read-ahead, carrying the bytes from {@code offsetBytes} to its end
   * in front of it, and starts reading the next window.
   */
  private void advance(Window window, long offsetBytes) throws NativeIoException {
    BlockingIo.StartedRead started = window.aheadRead;
    window.aheadRead = null;
    int read = io.finishRead(started);
    long carried = window.toBytes - offsetBytes;
    MemorySegment.copy(
        window.buffer, offsetBytes - window.baseBytes, window.ahead, carryBytes - carried, carried);
    MemorySegment previous = window.buffer;
    window.buffer = window.ahead;
    window.ahead = previous;
    window.baseBytes = window.toBytes - carryBytes;
    window.fromBytes = offsetBytes;
    window.toBytes += read;
    if (read == started.lengthBytes()) {
      readAhead(window);
    }
  }

  /** Reads from the offset on, as far as a window reaches, the range needs or the segment ends. */
  private void fill(Window window, int segment, long offsetBytes, long lengthBytes)
      throws NativeIoException {
    dropReadAhead(window);
    long wanted =
        Math.min(
            Math.max(windowBytes, Bytes.roundUpToBlock(lengthBytes)), segmentBytes - offsetBytes);
    if (window.buffer == null || window.buffer.byteSize() < wanted) {
      window.buffer = allocate(wanted);
    }
    window.segment = segment;
    window.baseBytes = offsetBytes;
    window.fromBytes = offsetBytes;
    window.toBytes = offsetBytes; // Nothing valid if the read fails.
    window.toBytes +=
        io.read(
            layout.log().file(),
            layout.byteOffsetOf(segment, offsetBytes),
            window.buffer.asSlice(0, wanted));
    if (window.toBytes == offsetBytes + wanted) {
      readAhead(window);
    }
  }

  /** Starts reading the window after this one, unless the segment ends here. */
  private void readAhead(Window window) throws NativeIoException {
    long bytes = Math.min(windowBytes, segmentBytes - window.toBytes);
    if (bytes <= 0) {
      return;
    }
    if (window.ahead == null || window.ahead.byteSize() < carryBytes + bytes) {
      window.ahead = allocate(carryBytes + bytes);
    }
    window.aheadRead =
        io.startRead(
            layout.log().file(),
            layout.byteOffsetOf(window.segment, window.toBytes),
            window.ahead.asSlice(carryBytes, bytes));
  }

  /** Waits for a read-ahead nobody will use; its failure only matters to whoever reads there. */
  private void dropReadAhead(Window window) {
    BlockingIo.StartedRead started = window.aheadRead;
    window.aheadRead = null;
    if (started != null) {
      try {
        io.finishRead(started);
      } catch (NativeIoException unused) {
        // Replay never reads there; if it does later, that read reports the error.
      }
    }
  }

  /** Every buffer fits a window with its carry, so that buffers can swap roles. */
  private MemorySegment allocate(long bytes) {
    return arena.allocate(Math.max(bytes, carryBytes + windowBytes), Bytes.BLOCK_BYTES);
  }
}
