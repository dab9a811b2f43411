package io.unblend.logstore.model;

import java.util.Arrays;

/**
 * One volume as the model knows it: for each sector, the values that a read may return now and the
 * values that a read may return after a power cut. A value is the generation of the write that put
 * it there, or {@link #ZEROS} for a sector never written, trimmed or zeroed. Value sets are sorted
 * arrays that are never changed in place, so sectors may share them.
 */
final class VolumeModel {
  static final long ZEROS = 0;
  private static final long[] ONLY_ZEROS = {ZEROS};

  private final int tag;
  private final String name;
  private long[][] now;
  private long[][] afterPowerCut;

  /**
   * @param tag the number written into this volume's sectors; unique within a run, so a deleted
   *     volume's data is recognised in a new volume of the same name
   */
  VolumeModel(int tag, String name, long sizeBytes) {
    this.tag = tag;
    this.name = name;
    this.now = new long[0][];
    this.afterPowerCut = new long[0][];
    grow(sizeBytes);
  }

  int tag() {
    return tag;
  }

  String name() {
    return name;
  }

  int sectorCount() {
    return now.length;
  }

  long sizeBytes() {
    return (long) now.length * SectorTags.SECTOR_BYTES;
  }

  /** New sectors read as zeros now and after any power cut. */
  void grow(long sizeBytes) {
    int oldSectors = now.length;
    int newSectors = Math.toIntExact(sizeBytes / SectorTags.SECTOR_BYTES);
    now = Arrays.copyOf(now, newSectors);
    afterPowerCut = Arrays.copyOf(afterPowerCut, newSectors);
    Arrays.fill(now, oldSectors, newSectors, ONLY_ZEROS);
    Arrays.fill(afterPowerCut, oldSectors, newSectors, ONLY_ZEROS);
  }

  /** The values a read may return now: one, unless overlapping writes raced or a write failed. */
  long[] now(int sector) {
    return now[sector];
  }

  /** The values a read may return after a power cut now. */
  long[] afterPowerCut(int sector) {
    return afterPowerCut[sector];
  }

  void set(int sector, long[] nowValues, long[] afterPowerCutValues) {
    if (!containsAll(afterPowerCutValues, nowValues)) {
      throw new IllegalStateException(
          "model bug: sector "
              + sector
              + " of "
              + name
              + " may read "
              + Arrays.toString(nowValues)
              + " now but only "
              + Arrays.toString(afterPowerCutValues)
              + " after a power cut");
    }
    now[sector] = nowValues;
    afterPowerCut[sector] = afterPowerCutValues;
  }

  /** A flush completed: what reads return now survives any power cut. */
  void flushed() {
    System.arraycopy(now, 0, afterPowerCut, 0, now.length);
  }

  /** A read returned {@code value}; later reads must return it too. */
  void observed(int sector, long value) {
    now[sector] = new long[] {value};
  }

  /** After a restart, what was read is what the store holds, durably. */
  void settled(int sector, long value) {
    long[] only = new long[] {value};
    now[sector] = only;
    afterPowerCut[sector] = only;
  }

  static long[] of(long value) {
    return value == ZEROS ? ONLY_ZEROS : new long[] {value};
  }

  static long[] union(long[] a, long[] b) {
    if (containsAll(a, b)) {
      return a;
    }
    if (containsAll(b, a)) {
      return b;
    }
    long[] merged = new long[a.length + b.length];
    System.arraycopy(a, 0, merged, 0, a.length);
    System.arraycopy(b, 0, merged, a.length, b.length);
    return Arrays.stream(merged).sorted().distinct().toArray();
  }

  static boolean contains(long[] values, long value) {
    return Arrays.binarySearch(values, value) >= 0;
  }

  private static boolean containsAll(long[] values, long[] wanted) {
    for (long value : wanted) {
      if (!contains(values, value)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return name + " (tag " + tag + ", " + sizeBytes() + " bytes)";
  }
}
