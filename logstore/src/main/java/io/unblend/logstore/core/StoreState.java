package io.unblend.logstore.core;

import io.unblend.logstore.log.SegmentTable;
import io.unblend.logstore.map.ExtentConsumer;
import io.unblend.logstore.map.ExtentMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
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

  /**
   * A read-only snapshot of volume {@code sourceId}: its map is shared in O(1); counting the new
   * references to the log takes one pass over the map's extents, with no I/O.
   */
  public void applySnapshot(int id, String name, int sourceId) {
    VolumeState source = require(sourceId);
    addShared(
        new VolumeState(id, name, source.sizeBytes(), source.map().snapshot(), true, sourceId));
  }

  /** A writable volume that starts with snapshot {@code snapshotId}'s map. */
  public void applyClone(int id, String name, int snapshotId) {
    VolumeState snapshot = require(snapshotId);
    addShared(
        new VolumeState(
            id, name, snapshot.sizeBytes(), snapshot.map().snapshot(), false, snapshotId));
  }

  private void addShared(VolumeState volume) {
    if (volumesById.containsKey(volume.id()) || volumesByName.containsKey(volume.name())) {
      throw new IllegalStateException(
          "volume " + volume.id() + " '" + volume.name() + "' exists already");
    }
    volume
        .map()
        .forEachExtent(
            (start, count, address) -> {
              if (address != ExtentMap.ZERO) {
                segments.addLive(address, count);
              }
            });
    restore(volume);
  }

  /**
   * Points the sectors of {@code [startSector, startSector + sectorCount)} that map {@code id}
   * still holds at {@code oldAddress..} to {@code newAddress..}; sectors changed since the cleaner
   * read them stay as they are.
   */
  public void applyRelocate(
      int id, long startSector, long sectorCount, long oldAddress, long newAddress) {
    VolumeState volume = volumesById.get(id);
    if (volume == null) {
      return; // Deleted after the cleaner read it.
    }
    ExtentMap map = volume.map();
    List<long[]> moved = new ArrayList<>();
    map.forEach(
        startSector,
        sectorCount,
        (start, count, address) -> {
          if (address == oldAddress + (start - startSector)) {
            moved.add(new long[] {start, count});
          }
        });
    long before = map.extentCount();
    for (long[] piece : moved) {
      long address = newAddress + (piece[0] - startSector);
      map.put(piece[0], piece[1], address, releaseLive);
      segments.addLive(address, piece[1]);
    }
    extentCount += map.extentCount() - before;
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
