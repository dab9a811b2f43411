package io.unblend.logstore.core;

import io.unblend.logstore.map.ExtentMap;

/** One volume as the storage thread holds it: identity, size and extent map. */
public final class VolumeState {
  private final int id;
  private final String name;
  private long sizeBytes;
  private ExtentMap map;

  public VolumeState(int id, String name, long sizeBytes, ExtentMap map) {
    this.id = id;
    this.name = name;
    this.sizeBytes = sizeBytes;
    this.map = map;
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

  void resize(long newSizeBytes) {
    sizeBytes = newSizeBytes;
  }

  public ExtentMap map() {
    return map;
  }

  /** A frozen copy sharing the map's structure (O(1)), for a checkpoint. */
  public VolumeState snapshot() {
    return new VolumeState(id, name, sizeBytes, map.snapshot());
  }
}
