package io.unblend.logstore.core;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.log.LogPosition;

/**
 * One place where batches are appended. The log has two: the client head, for batches of client
 * writes and metadata, and the cold head, for the data the cleaner moves. Moved data has outlived
 * at least one segment, so it is likely to live on; kept apart from new client data, it fills
 * segments that stay full, and the cleaner finds the client segments emptier.
 */
final class LogHead {
  final boolean cold;
  private final int segmentBytes;
  private int segment;
  private long offsetBytes;

  /** Batches of this head written and not yet completed; the storage loop keeps the count. */
  int batchesInFlight;

  LogHead(boolean cold, LogPosition start, int segmentBytes) {
    this.cold = cold;
    this.segmentBytes = segmentBytes;
    this.segment = start.segment();
    this.offsetBytes = start.offsetBytes();
  }

  /** The segment the head writes into, or -1 when its next batch starts a fresh segment. */
  int segment() {
    return segment;
  }

  long offsetBytes() {
    return offsetBytes;
  }

  boolean isIn(int candidate) {
    return segment >= 0 && segment == candidate;
  }

  /** Bytes left in the head's segment. */
  long roomBytes() {
    return segment < 0 ? 0 : segmentBytes - offsetBytes;
  }

  /**
   * Data sectors that a batch with {@code headerBytes} of header can still put in the head's
   * segment, in whole blocks since a batch's data is padded to a block.
   */
  long dataSectorsFitting(long headerBytes) {
    return Math.max(0, roomBytes() - headerBytes) / Bytes.BLOCK_BYTES * Bytes.SECTORS_PER_BLOCK;
  }

  boolean fits(long bytes) {
    return segment >= 0 && offsetBytes + bytes <= segmentBytes;
  }

  void moveTo(int freshSegment) {
    segment = freshSegment;
    offsetBytes = 0;
  }

  void advance(long bytes) {
    offsetBytes += bytes;
  }

  /** Leaves the segment: the head's next batch starts a fresh one. */
  void leave() {
    segment = -1;
    offsetBytes = 0;
  }

  LogPosition position() {
    return segment < 0 ? LogPosition.NONE : new LogPosition(segment, offsetBytes);
  }
}
