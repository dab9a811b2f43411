package io.unblend.logstore.model;

import io.unblend.logstore.ChangedRun;
import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.Volume;
import io.unblend.nativeio.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The snapshot and clone steps of a {@link ModelRun}: taking snapshots (alone or as a group),
 * cloning and deleting them, changed-block queries, and changes that a snapshot must refuse. Each
 * is checked against the run's {@link StoreModel} and followed by a check of the volume list.
 */
final class SnapshotSteps {
  private final ModelRun run;

  /**
   * What the cleaner had moved in the run (as last seen) just before each snapshot was taken. A
   * cleaning cycle re-points only the maps that shared a piece when the cycle began, so a snapshot
   * or clone made while one is under way may keep the old copy of data that its origin now finds at
   * the new one: the same bytes, but at another address, so a changed-block query calls them
   * changed. Sectors are required to be unchanged only while the cleaner has moved nothing since
   * the snapshot was taken.
   */
  private final Map<VolumeModel, Long> cleanerBytesWhenTaken = new HashMap<>();

  SnapshotSteps(ModelRun run) {
    this.run = run;
  }

  /** Takes a snapshot, or a group snapshot; EEXIST when a name is taken, and nothing changes. */
  void snapshot(Step.Snapshot step) throws Exception {
    StoreModel model = run.model();
    List<VolumeModel> volumes = model.volumes();
    if (volumes.isEmpty()) {
      return;
    }
    VolumeModel first = volumes.get(step.volumePick() % volumes.size());
    List<VolumeModel> origins = new ArrayList<>(List.of(first));
    // A group takes one batch entry per volume, and a group larger than a batch holds is never
    // answered (and blocks every change behind it): the store should refuse it, but does not yet.
    int groupMax = run.store().configuration().batchEntriesMax();
    for (int i = 0; i < volumes.size() && origins.size() < groupMax; i++) {
      if ((step.othersMask() & (1 << i)) != 0 && volumes.get(i) != first) {
        origins.add(volumes.get(i));
      }
    }
    boolean group = step.othersMask() != 0;
    String snapshot = ModelRun.SNAPSHOT_NAMES[step.namePick() % ModelRun.SNAPSHOT_NAMES.length];
    List<String> names = origins.stream().map(VolumeModel::name).toList();
    boolean taken = names.stream().anyMatch(name -> model.snapshot(name + "@" + snapshot) != null);
    run.trace()
        .add(
            (group ? "group snapshot " : "snapshot ")
                + snapshot
                + " of "
                + names
                + (taken ? ", expecting EEXIST" : ""));
    run.noteCleaner();
    long cleanerBytesBefore = run.counts().cleanerBytesWritten;
    Store store = run.store();
    List<Volume> created;
    try {
      created =
          run.waits()
              .blocking(
                  "snapshot " + snapshot,
                  () ->
                      group
                          ? store.createGroupSnapshot(snapshot, names)
                          : List.of(store.createSnapshot(first.name(), snapshot)));
    } catch (StoreException e) {
      if (e.errno() == Errno.ENOSPC) {
        run.refusedForSpace("snapshot " + snapshot);
      } else if (!(taken && e.errno() == Errno.EEXIST)) {
        throw run.trace().failure("snapshot " + snapshot + " of " + names + " failed", e);
      }
      run.checkVolumeList();
      return;
    }
    if (taken) {
      throw run.trace().failure("snapshot " + snapshot + " was taken twice of " + names, null);
    }
    List<VolumeModel> snapshots = model.snapshot(origins, snapshot);
    run.trace().add("  took " + snapshots);
    for (VolumeModel newSnapshot : snapshots) {
      cleanerBytesWhenTaken.put(newSnapshot, cleanerBytesBefore);
    }
    for (int i = 0; i < snapshots.size(); i++) {
      Volume handle = created.get(i);
      if (!handle.name().equals(snapshots.get(i).name())
          || !handle.isSnapshot()
          || handle.sizeBytes() != snapshots.get(i).sizeBytes()) {
        throw run.trace().failure("the store returned " + created + " for " + snapshots, null);
      }
    }
    run.counts().snapshots++;
    if (origins.size() > 1) {
      run.counts().groupSnapshots++;
    }
    run.checkVolumeList();
  }

  /** Clones a snapshot into a writable volume; EEXIST when the name is taken. */
  void cloneSnapshot(Step.Clone step) throws Exception {
    VolumeModel snapshot = pickSnapshot(step.snapshotPick());
    if (snapshot == null) {
      return;
    }
    StoreModel model = run.model();
    String name = ModelRun.CLONE_NAMES[step.namePick() % ModelRun.CLONE_NAMES.length];
    boolean taken = model.volume(name) != null;
    run.trace()
        .add("clone " + snapshot.name() + " as " + name + (taken ? ", expecting EEXIST" : ""));
    run.noteCleaner();
    Store store = run.store();
    Volume created;
    try {
      created =
          run.waits()
              .blocking(
                  "clone " + snapshot.name(),
                  () -> store.cloneSnapshot(originName(snapshot), snapshotName(snapshot), name));
    } catch (StoreException e) {
      if (e.errno() == Errno.ENOSPC) {
        run.refusedForSpace("clone " + snapshot.name());
      } else if (!(taken && e.errno() == Errno.EEXIST)) {
        throw run.trace().failure("cloning " + snapshot + " as " + name + " failed", e);
      }
      run.checkVolumeList();
      return;
    }
    if (taken) {
      throw run.trace().failure("a second volume named " + name + " was cloned", null);
    }
    VolumeModel clone = model.cloneSnapshot(snapshot, name);
    run.trace().add("  cloned " + clone);
    if (created.isSnapshot() || created.sizeBytes() != clone.sizeBytes()) {
      throw run.trace().failure("the store returned " + created + " for " + clone, null);
    }
    run.counts().clones++;
    run.checkVolumeList();
  }

  void deleteSnapshot(Step.DeleteSnapshot step) throws Exception {
    VolumeModel snapshot = pickSnapshot(step.snapshotPick());
    if (snapshot == null) {
      return;
    }
    run.trace().add("delete snapshot " + snapshot);
    run.noteCleaner();
    Store store = run.store();
    try {
      run.waits()
          .blocking(
              "delete snapshot " + snapshot.name(),
              () -> {
                store.deleteSnapshot(originName(snapshot), snapshotName(snapshot));
                return null;
              });
    } catch (StoreException e) {
      if (e.errno() != Errno.ENOSPC) {
        throw run.trace().failure("deleting " + snapshot + " failed", e);
      }
      run.refusedForSpace("delete snapshot " + snapshot.name());
      run.checkVolumeList();
      return;
    }
    run.model().deleteSnapshot(snapshot.name());
    if (store.volume(snapshot.name()) != null) {
      throw run.trace().failure("the store still hands out deleted " + snapshot.name(), null);
    }
    run.counts().snapshotDeletes++;
    run.checkVolumeList();
  }

  /**
   * Asks which sectors of a range differ between a snapshot and something that descends from it
   * (its volume, a later snapshot, a clone): a sector no change reached since the snapshot must be
   * unchanged, and one that reads differently must be changed. Others (written with what reads the
   * same, or trimmed where it was a hole) may be either.
   */
  void changedSince(Step.ChangedSince step) throws Exception {
    VolumeModel base = pickSnapshot(step.basePick());
    if (base == null) {
      return;
    }
    run.noteCleaner();
    boolean cleanerMovedSince = run.counts().cleanerBytesWritten > cleanerBytesWhenTaken.get(base);
    List<VolumeModel> descendants =
        run.model().all().stream()
            .filter(volume -> volume == base || volume.descendsFrom(base))
            .toList();
    VolumeModel target = descendants.get(step.targetPick() % descendants.size());
    int limit = Math.min(base.sectorCount(), target.sectorCount());
    int sectorCount = Math.min(step.sectorCount(), limit);
    int startSector = step.offsetPick() % (limit - sectorCount + 1);
    String what =
        "changes of "
            + target.name()
            + " since "
            + base.name()
            + " in sectors "
            + startSector
            + "+"
            + sectorCount;
    run.trace().add(what + (cleanerMovedSince ? ", the cleaner having moved data since" : ""));
    CompletableFuture<List<ChangedRun>> changes =
        run.handle(target)
            .changedSince(
                run.handle(base),
                (long) startSector * SectorTags.SECTOR_BYTES,
                (long) sectorCount * SectorTags.SECTOR_BYTES);
    Throwable outcome = run.waits().outcome(changes, what);
    if (outcome != null) {
      throw run.trace().failure(what + " failed", outcome);
    }
    List<ChangedRun> runs = changes.join();
    int sector = startSector;
    for (ChangedRun changed : runs) {
      if (changed.lengthBytes() <= 0 || changed.lengthBytes() % SectorTags.SECTOR_BYTES != 0) {
        throw run.trace()
            .failure(what + " gave a run of " + changed.lengthBytes() + ": " + runs, null);
      }
      for (long i = 0; i < changed.lengthBytes() / SectorTags.SECTOR_BYTES; i++, sector++) {
        if (sector >= startSector + sectorCount) {
          throw run.trace().failure(what + " ran past the range asked for: " + runs, null);
        }
        boolean unchanged = !cleanerMovedSince && target.unchangedSince(base, sector);
        boolean differs =
            target.now(sector).length == 1
                && base.now(sector).length == 1
                && target.now(sector)[0] != base.now(sector)[0];
        if (changed.changed() ? unchanged : differs) {
          throw run.trace()
              .failure(
                  what
                      + " calls sector "
                      + sector
                      + (changed.changed()
                          ? " changed, but nothing changed it since"
                          : " unchanged")
                      + "; it reads "
                      + Arrays.toString(target.now(sector))
                      + " and "
                      + Arrays.toString(base.now(sector))
                      + " in the snapshot: "
                      + runs,
                  null);
        }
      }
    }
    if (sector != startSector + sectorCount) {
      throw run.trace().failure(what + " covered sectors up to " + sector + " only: " + runs, null);
    }
    run.counts().changedBlockQueries++;
  }

  /**
   * A snapshot refuses every change (EPERM; EINVAL where it is not a volume); it stays as it is.
   */
  void changeSnapshot(Step.ChangeSnapshot step) throws Exception {
    VolumeModel snapshot = pickSnapshot(step.snapshotPick());
    if (snapshot == null) {
      return;
    }
    run.trace().add("try to " + step.what() + " snapshot " + snapshot.name());
    Volume handle = run.handle(snapshot);
    Store store = run.store();
    long lengthBytes = Math.min(snapshot.sizeBytes(), 8L * SectorTags.SECTOR_BYTES);
    Errno expected = Errno.EPERM;
    Throwable outcome;
    switch (step.what()) {
      case WRITE -> {
        // A generation of its own: should the write land anywhere, reads show it.
        MemorySegment data = Arena.ofAuto().allocate(lengthBytes, 4096);
        SectorTags.fill(data, 0, 0, run.model().nextGeneration(snapshot));
        outcome = run.waits().outcome(handle.write(0, data, false), "write to a snapshot");
      }
      case TRIM -> outcome = run.waits().outcome(handle.trim(0, lengthBytes, false), "trim");
      case ZEROES ->
          outcome =
              run.waits().outcome(handle.writeZeroes(0, lengthBytes, true, true), "write zeroes");
      case GROW ->
          outcome =
              thrown(() -> store.resizeVolume(snapshot.name(), snapshot.sizeBytes() + lengthBytes));
      case DELETE_AS_VOLUME -> {
        expected = Errno.EINVAL;
        outcome = thrown(() -> store.deleteVolume(snapshot.name()));
      }
      case SNAPSHOT_OF_SNAPSHOT -> {
        expected = Errno.EINVAL;
        outcome = thrown(() -> store.createSnapshot(snapshot.name(), "again"));
      }
      default -> throw new IllegalStateException("unknown refusal " + step.what());
    }
    // A change that needs log space may meet a full log before the snapshot's refusal.
    boolean takesSpace = step.what() == Step.Refused.WRITE || step.what() == Step.Refused.GROW;
    if (outcome instanceof StoreException e && e.errno() == Errno.ENOSPC && takesSpace) {
      run.refusedForSpace("try to " + step.what() + " snapshot " + snapshot.name());
    } else if (!(outcome instanceof StoreException e && e.errno() == expected)) {
      throw run.trace()
          .failure(
              "snapshot "
                  + snapshot.name()
                  + " did not refuse to "
                  + step.what()
                  + " with "
                  + expected,
              outcome);
    }
    run.checkVolumeList();
  }

  /** A store call that must fail: what it threw, or null. */
  private Throwable thrown(StoreCall call) throws Exception {
    try {
      run.waits()
          .blocking(
              "a refused call",
              () -> {
                call.run();
                return null;
              });
      return null;
    } catch (StoreException e) {
      return e;
    }
  }

  private interface StoreCall {
    void run() throws StoreException;
  }

  private VolumeModel pickSnapshot(int pick) {
    List<VolumeModel> snapshots = run.model().snapshots();
    return snapshots.isEmpty() ? null : snapshots.get(pick % snapshots.size());
  }

  private static String originName(VolumeModel snapshot) {
    return snapshot.name().substring(0, snapshot.name().indexOf('@'));
  }

  private static String snapshotName(VolumeModel snapshot) {
    return snapshot.name().substring(snapshot.name().indexOf('@') + 1);
  }
}
