package io.unblend.logstore.log;

import io.unblend.logstore.layout.Bytes;
import java.util.Arrays;

/**
 * What the store knows of each log segment: how many references maps hold to its sectors, the
 * sequence of the last batch that wrote into it or released its last reference, and whether it has
 * been pre-written.
 *
 * <p>Reference counts are exact: every map (volume, snapshot or clone) counts each sector it maps,
 * so a sector shared by a volume and its snapshot counts twice. A segment is reused only when no
 * map references it, and only once both checkpoints were written after the batch that released it
 * (see {@link #isReusable}); the cleaner chooses segments by their counts.
 */
public final class SegmentTable {
  private final int segmentBytes;
  private final long sectorsPerSegment;
  private final long[] liveSectors;
  private final long[] lastSequence;
  private final boolean[] prewritten;
  private long applyingSequence;
  private int unreferenced;

  public SegmentTable(int segmentBytes, int segmentCount) {
    this.segmentBytes = segmentBytes;
    this.sectorsPerSegment = segmentBytes / Bytes.SECTOR_BYTES;
    this.liveSectors = new long[segmentCount];
    this.lastSequence = new long[segmentCount];
    this.prewritten = new boolean[segmentCount];
    this.unreferenced = segmentCount;
  }

  public int segmentCount() {
    return liveSectors.length;
  }

  public int segmentBytes() {
    return segmentBytes;
  }

  public long sectorsPerSegment() {
    return sectorsPerSegment;
  }

  /** The segment that holds a log address (in sectors from the start of the log). */
  public int segmentOf(long address) {
    return (int) (address / sectorsPerSegment);
  }

  /** Counts {@code sectorCount} sectors from {@code address} as live; they may span segments. */
  public void addLive(long address, long sectorCount) {
    adjust(address, sectorCount, 1);
  }

  /** Counts {@code sectorCount} sectors from {@code address} as dead. */
  public void removeLive(long address, long sectorCount) {
    adjust(address, sectorCount, -1);
  }

  private void adjust(long address, long sectorCount, int sign) {
    long position = address;
    long remaining = sectorCount;
    while (remaining > 0) {
      int segment = segmentOf(position);
      long inSegment = Math.min(remaining, (segment + 1L) * sectorsPerSegment - position);
      setLive(segment, liveSectors[segment] + sign * inSegment);
      if (liveSectors[segment] < 0) {
        throw new IllegalStateException(
            "segment " + segment + " references out of range: " + liveSectors[segment]);
      }
      if (liveSectors[segment] == 0) {
        // Recovery from a checkpoint older than this batch would still map into the segment.
        lastSequence[segment] = Math.max(lastSequence[segment], applyingSequence);
      }
      position += inSegment;
      remaining -= inSegment;
    }
  }

  /**
   * Names the batch whose entries are applied next: a segment whose last reference it releases
   * keeps that sequence as its last, so it is not reused before a checkpoint includes the batch.
   */
  public void applying(long sequence) {
    applyingSequence = sequence;
  }

  /** References to the segment's sectors: live sectors, counted once per map that holds them. */
  public long liveSectors(int segment) {
    return liveSectors[segment];
  }

  private void setLive(int segment, long live) {
    if ((liveSectors[segment] == 0) != (live == 0)) {
      unreferenced += live == 0 ? 1 : -1;
    }
    liveSectors[segment] = live;
  }

  /** Segments that no map references, kept as references come and go: O(1). */
  public int unreferencedSegments() {
    return unreferenced;
  }

  public long totalLiveSectors() {
    return Arrays.stream(liveSectors).sum();
  }

  /**
   * Sectors held by some map, counting a segment's shared sectors once at most: exact without
   * snapshots, an upper bound of the live space with them.
   */
  public long occupiedSectors(int segment) {
    return Math.min(liveSectors[segment], sectorsPerSegment);
  }

  public long lastSequence(int segment) {
    return lastSequence[segment];
  }

  public void recordBatch(int segment, long sequence) {
    lastSequence[segment] = Math.max(lastSequence[segment], sequence);
    prewritten[segment] = true;
  }

  public boolean isPrewritten(int segment) {
    return prewritten[segment];
  }

  public void markPrewritten(int segment) {
    prewritten[segment] = true;
  }

  /**
   * Whether a segment may take new batches: nothing in it is live, and no checkpoint that recovery
   * might start from needs its batches (all are older than {@code reuseFloorSequence}).
   */
  public boolean isReusable(int segment, long reuseFloorSequence) {
    return liveSectors[segment] == 0 && lastSequence[segment] < reuseFloorSequence;
  }

  /** Restores one segment's entry from a checkpoint. */
  public void restore(int segment, long live, long sequence, boolean written) {
    setLive(segment, live);
    lastSequence[segment] = sequence;
    prewritten[segment] = written;
  }

  /** An independent copy, for a checkpoint taken while the store keeps writing. */
  public SegmentTable copy() {
    SegmentTable copy = new SegmentTable(segmentBytes, liveSectors.length);
    System.arraycopy(liveSectors, 0, copy.liveSectors, 0, liveSectors.length);
    System.arraycopy(lastSequence, 0, copy.lastSequence, 0, lastSequence.length);
    System.arraycopy(prewritten, 0, copy.prewritten, 0, prewritten.length);
    copy.unreferenced = unreferenced;
    return copy;
  }
}
