package io.unblend.logstore.log;

import io.unblend.logstore.layout.Bytes;
import java.util.Arrays;

/**
 * What the store knows of each log segment: how many references maps hold to its sectors, the
 * sequence of the last batch written into it and of the batch that released its last reference, and
 * whether it has been pre-written.
 *
 * <p>Reference counts are exact: every map (volume, snapshot or clone) counts each sector it maps,
 * so a sector shared by a volume and its snapshot counts twice. A segment is reused only when no
 * map references it, the batch that released it is durable, and recovery from either checkpoint
 * would not replay any of its batches (see {@link #isReusable}); the cleaner chooses segments by
 * their counts.
 */
public final class SegmentTable {
  private final int segmentBytes;
  private final long sectorsPerSegment;
  private final long[] liveSectors;
  private final long[] lastWritten;
  private final long[] releasedBy;
  private final boolean[] prewritten;
  private long applyingSequence;
  private long latestRelease;
  private int unreferenced;

  public SegmentTable(int segmentBytes, int segmentCount) {
    this.segmentBytes = segmentBytes;
    this.sectorsPerSegment = segmentBytes / Bytes.SECTOR_BYTES;
    this.liveSectors = new long[segmentCount];
    this.lastWritten = new long[segmentCount];
    this.releasedBy = new long[segmentCount];
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
        // Recovery from a checkpoint older than this batch maps into the segment until it
        // replays this batch: the segment must keep its data until the batch is durable.
        releasedBy[segment] = Math.max(releasedBy[segment], applyingSequence);
        latestRelease = Math.max(latestRelease, applyingSequence);
      }
      position += inSegment;
      remaining -= inSegment;
    }
  }

  /**
   * Names the batch whose entries are applied next: a segment whose last reference it releases is
   * not reused before that batch is durable.
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

  /** The sequence of the last batch written into the segment; 0 if none was. */
  public long lastWritten(int segment) {
    return lastWritten[segment];
  }

  public void recordBatch(int segment, long sequence) {
    lastWritten[segment] = Math.max(lastWritten[segment], sequence);
    prewritten[segment] = true;
  }

  public boolean isPrewritten(int segment) {
    return prewritten[segment];
  }

  public void markPrewritten(int segment) {
    prewritten[segment] = true;
  }

  /**
   * Whether a segment may take new batches: nothing in it is live; the batch that released it is
   * durable ({@code durableSequence} or older), so recovery from any checkpoint replays it before
   * it could meet the segment's new batches; and no replay from a checkpoint slot starts before one
   * of its batches (all are older than {@code reuseFloorSequence}).
   */
  public boolean isReusable(int segment, long reuseFloorSequence, long durableSequence) {
    return liveSectors[segment] == 0
        && lastWritten[segment] < reuseFloorSequence
        && releasedBy[segment] <= durableSequence;
  }

  /** The newest batch that released a segment's last reference. */
  public long latestRelease() {
    return latestRelease;
  }

  /** Whether a segment is free but waits only for the batch that released it to be durable. */
  public boolean awaitsDurableRelease(int segment, long durableSequence) {
    return liveSectors[segment] == 0 && releasedBy[segment] > durableSequence;
  }

  /** Restores one segment's entry from a checkpoint, whose batches are all durable. */
  public void restore(int segment, long live, long sequence, boolean written) {
    setLive(segment, live);
    lastWritten[segment] = sequence;
    prewritten[segment] = written;
  }

  /** An independent copy, for a checkpoint taken while the store keeps writing. */
  public SegmentTable copy() {
    SegmentTable copy = new SegmentTable(segmentBytes, liveSectors.length);
    System.arraycopy(liveSectors, 0, copy.liveSectors, 0, liveSectors.length);
    System.arraycopy(lastWritten, 0, copy.lastWritten, 0, lastWritten.length);
    System.arraycopy(releasedBy, 0, copy.releasedBy, 0, releasedBy.length);
    System.arraycopy(prewritten, 0, copy.prewritten, 0, prewritten.length);
    copy.unreferenced = unreferenced;
    copy.latestRelease = latestRelease;
    return copy;
  }
}
