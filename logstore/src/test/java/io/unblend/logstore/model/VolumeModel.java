package io.unblend.logstore.model;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * One volume, snapshot or clone as the model knows it: for each sector, the values that a read may
 * return now and the values that a read may return after a power cut. A value is the generation of
 * the write that put it there, or {@link #ZEROS} for a sector never written, trimmed or zeroed.
 * Value sets are sorted arrays that are never changed in place, so sectors (and snapshots) may
 * share them.
 *
 * <p>For changed-block queries it also keeps, per sector, the model's change sequence number when a
 * change was last issued to it along its history (through the snapshots and clones it descends
 * from), and those snapshots: a sector is the same in a snapshot and in anything that descends from
 * it exactly when nothing touched it since the snapshot.
 */
final class VolumeModel {
  static final long ZEROS = 0;
  private static final long[] ONLY_ZEROS = {ZEROS};

  private final int tag;
  private final String name;
  private final boolean snapshot;
  private final VolumeModel origin;
  private final long createdAt;
  private final Set<VolumeModel> ancestors;
  private long[][] now;
  private long[][] afterPowerCut;
  private long[] touchedAt;

  private VolumeModel(
      int tag,
      String name,
      boolean snapshot,
      VolumeModel origin,
      long createdAt,
      Set<VolumeModel> ancestors,
      long[][] now,
      long[] touchedAt) {
    this.tag = tag;
    this.name = name;
    this.snapshot = snapshot;
    this.origin = origin;
    this.createdAt = createdAt;
    this.ancestors = ancestors;
    this.now = now.clone();
    this.afterPowerCut = now.clone();
    this.touchedAt = touchedAt.clone();
  }

  /**
   * A new, empty volume.
   *
   * @param tag the number written into this volume's sectors; unique within a run, so a deleted
   *     volume's data is recognised in a new volume of the same name
   */
  static VolumeModel created(int tag, String name, long sizeBytes, long createdAt) {
    VolumeModel volume =
        new VolumeModel(
            tag, name, false, null, createdAt, new HashSet<>(), new long[0][], new long[0]);
    volume.grow(sizeBytes, createdAt);
    return volume;
  }

  /**
   * A snapshot of {@code origin} as it reads now. Taking it made everything completed durable, so
   * it reads the same after any power cut; {@code origin} descends from it from now on.
   */
  static VolumeModel snapshotOf(VolumeModel origin, String name, long createdAt) {
    VolumeModel taken =
        new VolumeModel(
            0,
            name,
            true,
            origin,
            createdAt,
            new HashSet<>(origin.ancestors),
            origin.now,
            origin.touchedAt);
    origin.ancestors.add(taken);
    return taken;
  }

  /** A writable clone of {@code snapshot}, durable, writing with its own tag. */
  static VolumeModel cloneOf(VolumeModel snapshot, int tag, String name, long createdAt) {
    Set<VolumeModel> ancestors = new HashSet<>(snapshot.ancestors);
    ancestors.add(snapshot);
    return new VolumeModel(
        tag, name, false, snapshot, createdAt, ancestors, snapshot.now, snapshot.touchedAt);
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

  /** Whether this is a read-only snapshot. */
  boolean isSnapshot() {
    return snapshot;
  }

  /** For a snapshot the volume it was taken of, for a clone its snapshot, else null. */
  VolumeModel origin() {
    return origin;
  }

  /** New sectors read as zeros now and after any power cut. */
  void grow(long sizeBytes, long changeSequence) {
    int oldSectors = now.length;
    int newSectors = Math.toIntExact(sizeBytes / SectorTags.SECTOR_BYTES);
    now = Arrays.copyOf(now, newSectors);
    afterPowerCut = Arrays.copyOf(afterPowerCut, newSectors);
    touchedAt = Arrays.copyOf(touchedAt, newSectors);
    Arrays.fill(now, oldSectors, newSectors, ONLY_ZEROS);
    Arrays.fill(afterPowerCut, oldSectors, newSectors, ONLY_ZEROS);
    Arrays.fill(touchedAt, oldSectors, newSectors, changeSequence);
  }

  /** A change was issued to these sectors: they may differ from every snapshot taken before. */
  void touched(int startSector, int sectorCount, long changeSequence) {
    Arrays.fill(touchedAt, startSector, startSector + sectorCount, changeSequence);
  }

  /**
   * Whether a changed-block query of this volume against {@code base} must call the sector
   * unchanged: {@code base} is this one or a snapshot it descends from, and no change reached the
   * sector since {@code base} was taken.
   */
  boolean unchangedSince(VolumeModel base, int sector) {
    return base == this || ancestors.contains(base) && touchedAt[sector] < base.createdAt;
  }

  /** Whether this descends from snapshot {@code base}, so that it may be compared with it. */
  boolean descendsFrom(VolumeModel base) {
    return ancestors.contains(base);
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
    return name
        + (snapshot ? " (snapshot of " + origin.name : " (tag " + tag)
        + (origin != null && !snapshot ? ", clone of " + origin.name : "")
        + ", "
        + sizeBytes()
        + " bytes)";
  }
}
