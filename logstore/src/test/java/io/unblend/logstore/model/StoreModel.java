package io.unblend.logstore.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The store as the durability contract describes it: volumes, clones and snapshots by name, and per
 * sector what reads may return now and after a power cut. It is told what completed, and keeps
 * every value that a store honouring the contract could show, and no other.
 */
final class StoreModel {
  private static final long[] NONE = {};

  /** Writable volumes, clones among them. */
  private final Map<String, VolumeModel> volumes = new TreeMap<>();

  /** Snapshots by {@code volume@snapshot}; they outlive the volume they were taken of. */
  private final Map<String, VolumeModel> snapshots = new TreeMap<>();

  private int nextTag = 1;
  private long nextGeneration = 1;

  /** The tag of the volume each generation was written to, by generation. */
  private int[] writerTags = new int[1024];

  /** Counts changes issued, snapshots taken and volumes made, for changed-block queries. */
  private long changeSequence;

  /** The writable volumes (clones too) in name order. */
  List<VolumeModel> volumes() {
    return new ArrayList<>(volumes.values());
  }

  /** The snapshots in name order. */
  List<VolumeModel> snapshots() {
    return new ArrayList<>(snapshots.values());
  }

  /** Volumes, clones and snapshots, in name order. */
  List<VolumeModel> all() {
    Map<String, VolumeModel> all = new TreeMap<>(volumes);
    all.putAll(snapshots);
    return new ArrayList<>(all.values());
  }

  VolumeModel volume(String name) {
    return volumes.get(name);
  }

  VolumeModel snapshot(String name) {
    return snapshots.get(name);
  }

  /** Name to size in bytes of volumes, clones and snapshots, in name order. */
  Map<String, Long> sizesByName() {
    Map<String, Long> sizes = new TreeMap<>();
    volumes.forEach((name, volume) -> sizes.put(name, volume.sizeBytes()));
    snapshots.forEach((name, snapshot) -> sizes.put(name, snapshot.sizeBytes()));
    return sizes;
  }

  VolumeModel create(String name, long sizeBytes) {
    VolumeModel volume = VolumeModel.created(nextTag++, name, sizeBytes, ++changeSequence);
    volumes.put(name, volume);
    return volume;
  }

  void grow(VolumeModel volume, long sizeBytes) {
    volume.grow(sizeBytes, ++changeSequence);
  }

  /** Deletes a volume or clone; its snapshots stay. */
  void delete(String name) {
    volumes.remove(name);
  }

  /**
   * Snapshots taken together of {@code origins}, each named {@code origin@snapshot}. Taking them
   * made every completed change durable.
   */
  List<VolumeModel> snapshot(List<VolumeModel> origins, String snapshot) {
    flushed();
    long takenAt = ++changeSequence;
    List<VolumeModel> taken = new ArrayList<>();
    for (VolumeModel origin : origins) {
      VolumeModel created = VolumeModel.snapshotOf(origin, origin.name() + "@" + snapshot, takenAt);
      snapshots.put(created.name(), created);
      taken.add(created);
    }
    return taken;
  }

  void deleteSnapshot(String name) {
    snapshots.remove(name);
  }

  /** A writable clone of a snapshot; making it made every completed change durable. */
  VolumeModel cloneSnapshot(VolumeModel snapshot, String name) {
    flushed();
    VolumeModel clone = VolumeModel.cloneOf(snapshot, nextTag++, name, ++changeSequence);
    volumes.put(name, clone);
    return clone;
  }

  /** A change is being issued to these sectors. */
  void touched(VolumeModel volume, int startSector, int sectorCount) {
    volume.touched(startSector, sectorCount, ++changeSequence);
  }

  /** A generation no write of this run used before, to be written to {@code writer}. */
  long nextGeneration(VolumeModel writer) {
    long generation = nextGeneration++;
    if (generation >= writerTags.length) {
      writerTags = Arrays.copyOf(writerTags, writerTags.length * 2);
    }
    writerTags[(int) generation] = writer.tag();
    return generation;
  }

  /**
   * The tag that the write of {@code generation} put into its sectors (a clone reads its snapshot's
   * data, written with the origin's tag), or -1 for a generation no write used.
   */
  int writerTag(long generation) {
    return generation > 0 && generation < nextGeneration ? writerTags[(int) generation] : -1;
  }

  /**
   * At most how many bytes of data the maps hold now: every sector value that some volume, clone or
   * snapshot may read, counted once however many share it.
   */
  long liveBytesMax() {
    Set<Long> live = new HashSet<>();
    for (VolumeModel volume : all()) {
      for (int sector = 0; sector < volume.sectorCount(); sector++) {
        for (long value : volume.now(sector)) {
          if (value != VolumeModel.ZEROS) {
            live.add(value << 24 | sector);
          }
        }
      }
    }
    return (long) live.size() * SectorTags.SECTOR_BYTES;
  }

  /** A flush completed: everything completed before it survives a power cut. */
  void flushed() {
    volumes.values().forEach(VolumeModel::flushed);
  }

  /**
   * Changes that were in flight together have all finished: {@code succeeded} completed, {@code
   * failed} failed with ENOSPC and may have been applied in part. Their order in the log is
   * unknown, so where they overlap each one's value may be the one that stayed. A FUA change is
   * durable, and so is everything ordered before it; only the group's own values may follow it.
   *
   * @param flushedBefore a flush was in flight with them: everything completed before the group is
   *     durable, and perhaps some of the group
   */
  void completed(List<SectorChange> succeeded, List<SectorChange> failed, boolean flushedBefore) {
    if (flushedBefore) {
      flushed();
    }
    Map<VolumeModel, Map<Integer, Outcome>> outcomes = new HashMap<>();
    for (SectorChange change : succeeded) {
      forEachSector(
          outcomes,
          change,
          outcome -> {
            outcome.succeeded =
                VolumeModel.union(outcome.succeeded, VolumeModel.of(change.value()));
            outcome.fua |= change.fua();
          });
    }
    for (SectorChange change : failed) {
      forEachSector(
          outcomes,
          change,
          outcome ->
              outcome.failed = VolumeModel.union(outcome.failed, VolumeModel.of(change.value())));
    }
    outcomes.forEach(
        (volume, bySector) ->
            bySector.forEach(
                (sector, outcome) -> {
                  long[] values = VolumeModel.union(outcome.succeeded, outcome.failed);
                  long[] now =
                      outcome.succeeded.length == 0
                          ? VolumeModel.union(volume.now(sector), outcome.failed)
                          : values;
                  long[] afterPowerCut =
                      outcome.fua
                          ? values
                          : VolumeModel.union(volume.afterPowerCut(sector), values);
                  volume.set(sector, now, afterPowerCut);
                }));
  }

  /** Changes in flight when the power went may have reached the disk, in whole or in part. */
  void inFlightAtPowerCut(List<SectorChange> changes) {
    for (SectorChange change : changes) {
      VolumeModel volume = change.volume();
      long[] value = VolumeModel.of(change.value());
      for (int s = change.startSector(); s < change.startSector() + change.sectorCount(); s++) {
        volume.set(s, volume.now(s), VolumeModel.union(volume.afterPowerCut(s), value));
      }
    }
  }

  private static void forEachSector(
      Map<VolumeModel, Map<Integer, Outcome>> outcomes,
      SectorChange change,
      java.util.function.Consumer<Outcome> action) {
    Map<Integer, Outcome> bySector =
        outcomes.computeIfAbsent(change.volume(), _ -> new HashMap<>());
    for (int s = change.startSector(); s < change.startSector() + change.sectorCount(); s++) {
      action.accept(bySector.computeIfAbsent(s, _ -> new Outcome()));
    }
  }

  /** What the changes of one group did to one sector. */
  private static final class Outcome {
    long[] succeeded = NONE;
    long[] failed = NONE;
    boolean fua;
  }
}
