package io.unblend.logstore.checkpoint;

import io.unblend.logstore.core.VolumeState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The order in which a checkpoint writes maps, and the map each one is written as a difference
 * from: snapshots first, oldest first, each after the snapshot before it of the same volume; then
 * volumes and clones, each after its newest snapshot (or a clone after the snapshot it started
 * from). Consecutive snapshots of a volume differ by what was written between them, so a volume
 * with thousands of snapshots costs about one map plus what changed, not thousands of maps.
 */
final class MapBases {
  private final List<VolumeState> order = new ArrayList<>();
  private final Map<Integer, VolumeState> bases = new HashMap<>();

  MapBases(List<VolumeState> maps) {
    Map<Integer, VolumeState> byId = new HashMap<>();
    Map<Integer, TreeMap<Integer, VolumeState>> snapshotsByOrigin = new HashMap<>();
    for (VolumeState map : maps) {
      byId.put(map.id(), map);
      if (map.isSnapshot()) {
        snapshotsByOrigin.computeIfAbsent(map.originId(), o -> new TreeMap<>()).put(map.id(), map);
      }
    }
    List<VolumeState> sorted = new ArrayList<>(maps);
    sorted.sort(
        Comparator.comparing((VolumeState map) -> !map.isSnapshot())
            .thenComparingInt(VolumeState::id));
    for (VolumeState map : sorted) {
      VolumeState base = chooseBase(map, byId, snapshotsByOrigin);
      if (base != null) {
        bases.put(map.id(), base);
      }
      order.add(map);
    }
  }

  private static VolumeState chooseBase(
      VolumeState map,
      Map<Integer, VolumeState> byId,
      Map<Integer, TreeMap<Integer, VolumeState>> snapshotsByOrigin) {
    int owner = map.isSnapshot() ? map.originId() : map.id();
    TreeMap<Integer, VolumeState> siblings = snapshotsByOrigin.get(owner);
    if (siblings != null) {
      var earlier = siblings.lowerEntry(map.isSnapshot() ? map.id() : Integer.MAX_VALUE);
      if (earlier != null) {
        return earlier.getValue();
      }
    }
    // The first snapshot of a clone, or a clone without snapshots: the snapshot it started from.
    VolumeState clone = byId.get(owner);
    VolumeState start = clone == null ? null : byId.get(clone.originId());
    return start != null && start.isSnapshot() && start.id() < map.id() ? start : null;
  }

  /** Every map, each after its base. */
  List<VolumeState> order() {
    return order;
  }

  /** The map written before {@code map} that it is written as a difference from, or null. */
  VolumeState baseOf(VolumeState map) {
    return bases.get(map.id());
  }
}
