package io.unblend.logstore.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The store as the durability contract describes it: volumes by name, and per sector what reads may
 * return now and after a power cut. It is told what completed, and keeps every value that a store
 * honouring the contract could show, and no other.
 */
final class StoreModel {
  private static final long[] NONE = {};

  private final Map<String, VolumeModel> volumes = new TreeMap<>();
  private int nextTag = 1;
  private long nextGeneration = 1;

  /** The volumes in name order. */
  List<VolumeModel> volumes() {
    return new ArrayList<>(volumes.values());
  }

  VolumeModel volume(String name) {
    return volumes.get(name);
  }

  /** Name to size in bytes, in name order. */
  Map<String, Long> sizesByName() {
    Map<String, Long> sizes = new TreeMap<>();
    volumes.forEach((name, volume) -> sizes.put(name, volume.sizeBytes()));
    return sizes;
  }

  VolumeModel create(String name, long sizeBytes) {
    VolumeModel volume = new VolumeModel(nextTag++, name, sizeBytes);
    volumes.put(name, volume);
    return volume;
  }

  void delete(String name) {
    volumes.remove(name);
  }

  /** A generation no write of this run used before. */
  long nextGeneration() {
    return nextGeneration++;
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
