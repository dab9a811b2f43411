package io.unblend.logstore.core;

import io.unblend.logstore.map.ExtentMap;

/**
 * One volume, snapshot or clone as the storage thread holds it: identity, size and extent map. A
 * snapshot is a read-only map named {@code volume@snapshot}; a clone is a writable volume whose
 * origin is the snapshot it started from.
 */
public final class VolumeState {
  private final int id;
  private final String name;
  private final boolean snapshot;
  private final int originId;
  private long sizeBytes;
  private final ExtentMap map;

  /**
   * @param originId for a snapshot the volume it was taken of, for a clone the snapshot it started
   *     from, else 0
   */
  public VolumeState(
      int id, String name, long sizeBytes, ExtentMap map, boolean snapshot, int originId) {
    this.id = id;
    this.name = name;
    this.sizeBytes = sizeBytes;
    this.map = map;
    this.snapshot = snapshot;
    this.originId = originId;
  }

  public VolumeState(int id, String name, long sizeBytes, ExtentMap map) {
    this(id, name, sizeBytes, map, false, 0);
  }

  public int id() {
    return id;
  }

  public String name() {
    return name;
  }

  public long sizeBytes() {
    return sizeBytes;
  }

  /** Whether this is a read-only snapshot. */
  public boolean isSnapshot() {
    return snapshot;
  }

  public int originId() {
    return originId;
  }

  void resize(long newSizeBytes) {
    sizeBytes = newSizeBytes;
  }

  public ExtentMap map() {
    return map;
  }

  /** A frozen copy sharing the map's structure (O(1)), for a checkpoint. */
  public VolumeState snapshot() {
    return new VolumeState(id, name, sizeBytes, map.snapshot(), snapshot, originId);
  }
}
