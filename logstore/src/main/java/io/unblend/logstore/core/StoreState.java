package io.unblend.logstore.core;

import io.unblend.logstore.log.SegmentTable;
import io.unblend.logstore.map.ExtentConsumer;
import io.unblend.logstore.map.ExtentMap;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything recovery rebuilds: the volumes with their maps, and the segment table. Batch entries
 * change it through the {@code apply*} methods, the same ones whether the entry was just written or
 * is being replayed, so the two can never disagree.
 */
public final class StoreState {
  private final Map<Integer, VolumeState> volumesById = new TreeMap<>();
  private final Map<String, VolumeState> volumesByName = new HashMap<>();
  private final SegmentTable segments;
  private final ExtentConsumer releaseLive;
  private int nextVolumeId;
  private long extentCount;

  public StoreState(SegmentTable segments, int nextVolumeId) {
    this.segments = segments;
    this.nextVolumeId = nextVolumeId;
    this.releaseLive =
        (address, sectorCount) -> {
          if (address != ExtentMap.ZERO) {
            segments.removeLive(address, sectorCount);
          }
        };
  }

  public SegmentTable segments() {
    return segments;
  }

  public int nextVolumeId() {
    return nextVolumeId;
  }

  /** Hands out a volume id; ids are never reused, so an old batch cannot touch a new volume. */
  public int allocateVolumeId() {
    return nextVolumeId++;
  }

  public VolumeState volume(int id) {
    return volumesById.get(id);
  }

  public VolumeState volume(String name) {
    return volumesByName.get(name);
  }

  public Collection<VolumeState> volumes() {
    return Collections.unmodifiableCollection(volumesById.values());
  }

  /** Total extents over every volume: what the map-memory limit counts. */
  public long extentCount() {
    return extentCount;
  }

  /** Adds a volume restored from a checkpoint. */
  public void restore(VolumeState volume) {
    volumesById.put(volume.id(), volume);
    volumesByName.put(volume.name(), volume);
    nextVolumeId = Math.max(nextVolumeId, volume.id() + 1);
    extentCount += volume.map().extentCount();
  }

  public void applyCreate(int id, String name, long sizeBytes) {
    if (volumesById.containsKey(id) || volumesByName.containsKey(name)) {
      throw new IllegalStateException("volume " + id + " '" + name + "' exists already");
    }
    restore(new VolumeState(id, name, sizeBytes, new ExtentMap()));
  }

  public void applyResize(int id, long sizeBytes) {
    require(id).resize(sizeBytes);
  }

  public void applyDelete(int id) {
    VolumeState volume = require(id);
    volume.map().forEachExtent((start, count, address) -> releaseLive.accept(address, count));
    extentCount -= volume.map().extentCount();
    volumesById.remove(id);
    volumesByName.remove(volume.name());
  }

  public void applyWrite(int id, long startSector, long sectorCount, long address) {
    ExtentMap map = require(id).map();
    long before = map.extentCount();
    map.put(startSector, sectorCount, address, releaseLive);
    segments.addLive(address, sectorCount);
    extentCount += map.extentCount() - before;
  }

  public void applyZero(int id, long startSector, long sectorCount) {
    ExtentMap map = require(id).map();
    long before = map.extentCount();
    map.put(startSector, sectorCount, ExtentMap.ZERO, releaseLive);
    extentCount += map.extentCount() - before;
  }

  public void applyTrim(int id, long startSector, long sectorCount) {
    ExtentMap map = require(id).map();
    long before = map.extentCount();
    map.remove(startSector, sectorCount, releaseLive);
    extentCount += map.extentCount() - before;
  }

  private VolumeState require(int id) {
    VolumeState volume = volumesById.get(id);
    if (volume == null) {
      throw new IllegalStateException("no volume " + id);
    }
    return volume;
  }
}
