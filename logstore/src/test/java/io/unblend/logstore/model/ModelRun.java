package io.unblend.logstore.model;

import io.unblend.logstore.BlockStatusRun;
import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.Volume;
import io.unblend.logstore.checkpoint.RecoveryReport;
import io.unblend.logstore.core.VolumeSummary;
import io.unblend.nativeio.Errno;
import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * One run: a store on a fresh simulated disk, driven step by step next to a {@link StoreModel},
 * with every answer checked against the model. A failure names the step and lists every step before
 * it as the run interpreted it (volume, sectors, generation).
 */
final class ModelRun implements AutoCloseable {
  static final int WRITE_SECTORS_MAX = Tuning.REQUEST_BYTES_MAX / SectorTags.SECTOR_BYTES;
  static final String[] NAMES = {"alpha", "beta", "gamma", "delta"};

  private final SimulatedDisk disk = new SimulatedDisk(4096, Tuning.DISK_BYTES);
  private final StoreConfiguration config;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment readBuffer =
      arena.allocate(Tuning.REQUEST_BYTES_MAX, SectorTags.SECTOR_BYTES * 8L);
  private final StoreModel model = new StoreModel();

  private final RunTrace trace = new RunTrace();
  private final StoreWaits waits = new StoreWaits(trace);

  private final RunCounts counts = new RunCounts();
  private Store store;

  /** A change issued to the store, with what the model will make of it. */
  private record Issued(SectorChange change, CompletableFuture<Void> done, String description) {}

  ModelRun(Tuning tuning) throws Exception {
    config = tuning.configuration(disk);
    StoreLogCapture.sendTo(trace::add);
    trace.add("open a new store with " + tuning);
    store = open(false);
  }

  RunCounts counts() {
    return counts;
  }

  void apply(Step step) throws Exception {
    switch (step) {
      case Step.Create create -> create(create);
      case Step.Grow grow -> grow(grow);
      case Step.Delete delete -> delete(delete);
      case Step.Change change -> {
        Issued issued = issue(change);
        if (issued != null) {
          finishGroup(List.of(issued), List.of());
        }
      }
      case Step.Flush flush -> {
        CompletableFuture<Void> done = issueFlush(flush);
        if (done != null) {
          finishGroup(List.of(), List.of(done));
        }
      }
      case Step.ReadBack read -> readBack(read);
      case Step.Concurrently group -> concurrently(group);
      case Step.PowerCut cut -> powerCut(cut);
      case Step.CleanRestart _ -> cleanRestart();
    }
  }

  /** Closes the store cleanly, opens it again and checks everything. */
  void finish() throws Exception {
    cleanRestart();
    Store closing = store;
    store = null;
    waits.blocking("close the store", () -> closeStore(closing));
  }

  // ---- volumes -------------------------------------------------------------------------------

  private void create(Step.Create step) throws Exception {
    String name = NAMES[step.namePick() % NAMES.length];
    long sizeBytes = (long) step.sectorCount() * SectorTags.SECTOR_BYTES;
    boolean taken = model.volume(name) != null;
    trace.add(
        "create " + name + " of " + sizeBytes + " bytes" + (taken ? ", expecting EEXIST" : ""));
    try {
      waits.blocking("create " + name, () -> store.createVolume(name, sizeBytes));
      if (taken) {
        throw trace.failure("a second volume named " + name + " was created", null);
      }
      VolumeModel volume = model.create(name, sizeBytes);
      trace.add("  created " + volume);
    } catch (StoreException e) {
      if (e.errno() == Errno.ENOSPC) {
        refusedForSpace("create " + name);
      } else if (!(taken && e.errno() == Errno.EEXIST)) {
        throw trace.failure("creating " + name + " failed", e);
      }
    }
    checkVolumeList();
  }

  private void grow(Step.Grow step) throws Exception {
    VolumeModel volume = pick(step.volumePick());
    if (volume == null) {
      return;
    }
    long sizeBytes = volume.sizeBytes() + (long) step.extraSectors() * SectorTags.SECTOR_BYTES;
    trace.add("grow " + volume + " to " + sizeBytes + " bytes");
    try {
      waits.blocking("grow " + volume.name(), () -> resize(volume.name(), sizeBytes));
      volume.grow(sizeBytes);
    } catch (StoreException e) {
      if (e.errno() != Errno.ENOSPC) {
        throw trace.failure("growing " + volume + " failed", e);
      }
      refusedForSpace("grow " + volume.name());
    }
    checkVolumeList();
  }

  private void delete(Step.Delete step) throws Exception {
    VolumeModel volume = pick(step.volumePick());
    if (volume == null) {
      return;
    }
    trace.add("delete " + volume);
    try {
      waits.blocking("delete " + volume.name(), () -> deleteVolume(volume.name()));
    } catch (StoreException e) {
      if (e.errno() != Errno.ENOSPC) {
        throw trace.failure("deleting " + volume + " failed", e);
      }
      // Deleting frees space, but a full log may have no segment left to log the delete in.
      refusedForSpace("delete " + volume.name());
      checkVolumeList();
      return;
    }
    model.delete(volume.name());
    if (store.volume(volume.name()) != null) {
      throw trace.failure("the store still hands out deleted volume " + volume.name(), null);
    }
    checkVolumeList();
  }

  /** A volume change refused with ENOSPC must change nothing, which the volume list shows. */
  private void refusedForSpace(String what) {
    trace.add("  " + what + " failed with ENOSPC");
    counts.enospc++;
  }

  private Void resize(String name, long sizeBytes) throws StoreException {
    store.resizeVolume(name, sizeBytes);
    return null;
  }

  private Void deleteVolume(String name) throws StoreException {
    store.deleteVolume(name);
    return null;
  }

  /** The store must list exactly the model's volumes with the model's sizes. */
  private void checkVolumeList() throws Exception {
    List<VolumeSummary> listed = waits.blocking("list volumes", store::listVolumes);
    Map<String, Long> sizes = new TreeMap<>();
    for (VolumeSummary summary : listed) {
      if (sizes.put(summary.name(), summary.sizeBytes()) != null) {
        throw trace.failure("the store lists volume " + summary.name() + " twice: " + listed, null);
      }
    }
    if (!sizes.equals(model.sizesByName())) {
      throw trace.failure(
          "the store lists volumes " + sizes + " but the model has " + model.sizesByName(), null);
    }
    for (VolumeModel volume : model.volumes()) {
      handle(volume);
    }
  }

  private Volume handle(VolumeModel volume) {
    Volume handle = store.volume(volume.name());
    if (handle == null || handle.sizeBytes() != volume.sizeBytes()) {
      throw trace.failure("the store hands out " + handle + " for " + volume, null);
    }
    return handle;
  }

  private VolumeModel pick(int pick) {
    List<VolumeModel> volumes = model.volumes();
    return volumes.isEmpty() ? null : volumes.get(pick % volumes.size());
  }

  // ---- data ----------------------------------------------------------------------------------

  /** Issues a change without waiting for it; null when there is no volume to change. */
  private Issued issue(Step.Change step) {
    VolumeModel volume = pick(step.volumePick());
    if (volume == null) {
      return null;
    }
    int limit = step.kind() == Step.ChangeKind.WRITE ? WRITE_SECTORS_MAX : volume.sectorCount();
    int sectorCount = Math.min(Math.min(step.sectorCount(), limit), volume.sectorCount());
    int startSector = step.offsetPick() % (volume.sectorCount() - sectorCount + 1);
    long offsetBytes = (long) startSector * SectorTags.SECTOR_BYTES;
    long lengthBytes = (long) sectorCount * SectorTags.SECTOR_BYTES;
    Volume handle = handle(volume);
    long value = VolumeModel.ZEROS;
    CompletableFuture<Void> done;
    switch (step.kind()) {
      case WRITE -> {
        value = model.nextGeneration();
        MemorySegment data = arena.allocate(lengthBytes, 4096);
        SectorTags.fill(data, volume.tag(), startSector, value);
        done = handle.write(offsetBytes, data, step.fua());
      }
      case TRIM -> done = handle.trim(offsetBytes, lengthBytes, step.fua());
      case ZEROES_AS_HOLE -> done = handle.writeZeroes(offsetBytes, lengthBytes, false, step.fua());
      case ZEROES_ALLOCATED ->
          done = handle.writeZeroes(offsetBytes, lengthBytes, true, step.fua());
      default -> throw new IllegalStateException("unknown change " + step.kind());
    }
    String description =
        step.kind().name().toLowerCase(java.util.Locale.ROOT)
            + " "
            + volume.name()
            + " sectors "
            + startSector
            + "+"
            + sectorCount
            + (value == VolumeModel.ZEROS ? "" : " generation " + value)
            + (step.fua() ? " FUA" : "");
    trace.add(description);
    return new Issued(
        new SectorChange(volume, startSector, sectorCount, value, step.fua()), done, description);
  }

  private CompletableFuture<Void> issueFlush(Step.Flush step) {
    if (step.throughStore()) {
      trace.add("flush the store");
      return store.flush();
    }
    VolumeModel volume = pick(0);
    if (volume == null) {
      return null;
    }
    trace.add("flush through " + volume.name());
    return handle(volume).flush();
  }

  /** Waits for changes and flushes issued together, then tells the model what became of them. */
  private void finishGroup(List<Issued> changes, List<CompletableFuture<Void>> flushes) {
    List<SectorChange> succeeded = new ArrayList<>();
    List<SectorChange> failed = new ArrayList<>();
    for (Issued issued : changes) {
      Throwable outcome = waits.outcome(issued.done(), issued.description());
      if (outcome == null) {
        succeeded.add(issued.change());
      } else if (outcome instanceof StoreException e && e.errno() == Errno.ENOSPC) {
        refusedForSpace(issued.description());
        failed.add(issued.change());
      } else {
        throw trace.failure(issued.description() + " failed", outcome);
      }
    }
    for (CompletableFuture<Void> flush : flushes) {
      Throwable outcome = waits.outcome(flush, "flush");
      if (outcome != null) {
        throw trace.failure("a flush failed", outcome);
      }
    }
    model.completed(succeeded, failed, !flushes.isEmpty());
  }

  private void concurrently(Step.Concurrently group) {
    trace.add("issue together:");
    List<Issued> changes = new ArrayList<>();
    List<CompletableFuture<Void>> flushes = new ArrayList<>();
    issueAll(group.steps(), changes, flushes);
    finishGroup(changes, flushes);
  }

  private void issueAll(
      List<Step.InFlight> steps, List<Issued> changes, List<CompletableFuture<Void>> flushes) {
    for (Step.InFlight step : steps) {
      switch (step) {
        case Step.Change change -> {
          Issued issued = issue(change);
          if (issued != null) {
            changes.add(issued);
          }
        }
        case Step.Flush flush -> {
          CompletableFuture<Void> done = issueFlush(flush);
          if (done != null) {
            flushes.add(done);
          }
        }
      }
    }
  }

  /** Reads a range: every sector must hold what the model says it holds now. */
  private void readBack(Step.ReadBack step) {
    VolumeModel volume = pick(step.volumePick());
    if (volume == null) {
      return;
    }
    int sectorCount =
        Math.min(Math.min(step.sectorCount(), WRITE_SECTORS_MAX), volume.sectorCount());
    int startSector = step.offsetPick() % (volume.sectorCount() - sectorCount + 1);
    trace.add("read back " + volume.name() + " sectors " + startSector + "+" + sectorCount);
    readAndCheck(volume, startSector, sectorCount, false);
    checkBlockStatus(volume, startSector, sectorCount);
  }

  /**
   * Reads sectors and checks each against the model: against what it may read now, or after a power
   * cut; then the model takes what was read as settled (after a restart) or observed.
   */
  private void readAndCheck(
      VolumeModel volume, int startSector, int sectorCount, boolean afterRestart) {
    long lengthBytes = (long) sectorCount * SectorTags.SECTOR_BYTES;
    MemorySegment into = readBuffer.asSlice(0, lengthBytes);
    into.fill((byte) 0x5a);
    Throwable outcome =
        waits.outcome(
            handle(volume).read((long) startSector * SectorTags.SECTOR_BYTES, into),
            "read of " + volume.name());
    if (outcome != null) {
      throw trace.failure(
          "reading " + volume + " sectors " + startSector + "+" + sectorCount, outcome);
    }
    for (int i = 0; i < sectorCount; i++) {
      int sector = startSector + i;
      MemorySegment sectorData =
          into.asSlice((long) i * SectorTags.SECTOR_BYTES, SectorTags.SECTOR_BYTES);
      long value = SectorTags.generationOf(sectorData, volume.tag(), sector);
      long[] allowed = afterRestart ? volume.afterPowerCut(sector) : volume.now(sector);
      if (value == SectorTags.NOT_A_TAG || !VolumeModel.contains(allowed, value)) {
        throw trace.failure(
            "sector "
                + sector
                + " of "
                + volume
                + " holds "
                + SectorTags.describe(sectorData)
                + " but the model allows only "
                + describe(allowed)
                + (afterRestart ? " after the restart" : ""),
            null);
      }
      if (afterRestart) {
        volume.settled(sector, value);
      } else {
        volume.observed(sector, value);
      }
    }
  }

  /** Block status must call a sector zero exactly when it reads as zeros. */
  private void checkBlockStatus(VolumeModel volume, int startSector, int sectorCount) {
    long offsetBytes = (long) startSector * SectorTags.SECTOR_BYTES;
    long lengthBytes = (long) sectorCount * SectorTags.SECTOR_BYTES;
    CompletableFuture<List<BlockStatusRun>> status =
        handle(volume).blockStatus(offsetBytes, lengthBytes);
    Throwable outcome = waits.outcome(status, "block status of " + volume.name());
    if (outcome != null) {
      throw trace.failure("block status of " + volume, outcome);
    }
    List<BlockStatusRun> runs = status.join();
    int sector = startSector;
    for (BlockStatusRun run : runs) {
      if (run.lengthBytes() <= 0 || run.lengthBytes() % SectorTags.SECTOR_BYTES != 0) {
        throw trace.failure(
            "block status gave a run of " + run.lengthBytes() + " bytes: " + runs, null);
      }
      if (run.hole() && !run.zero()) {
        throw trace.failure("block status gave a hole that does not read as zeros: " + runs, null);
      }
      for (long i = 0; i < run.lengthBytes() / SectorTags.SECTOR_BYTES; i++, sector++) {
        if (sector >= startSector + sectorCount) {
          throw trace.failure("block status ran past the range asked for: " + runs, null);
        }
        boolean zeros = volume.now(sector)[0] == VolumeModel.ZEROS;
        if (run.zero() != zeros) {
          throw trace.failure(
              "block status calls sector "
                  + sector
                  + " of "
                  + volume
                  + (run.zero() ? " zero" : " data")
                  + " but it reads as "
                  + describe(volume.now(sector))
                  + ": "
                  + runs,
              null);
        }
      }
    }
    if (sector != startSector + sectorCount) {
      throw trace.failure("block status covered sectors up to " + sector + " only: " + runs, null);
    }
  }

  // ---- restarts ------------------------------------------------------------------------------

  private void powerCut(Step.PowerCut cut) throws Exception {
    trace.add(
        "power cut "
            + (cut.whileRunning() ? "while the store runs, " : "after the store stopped, ")
            + (cut.losingAllUnsynced() ? "losing all unsynced writes" : "with seed " + cut.seed())
            + (cut.inFlight().isEmpty() ? "" : ", with these in flight:"));
    List<Issued> changes = new ArrayList<>();
    issueAll(cut.inFlight(), changes, new ArrayList<>());
    Store dead = store;
    store = null;
    if (cut.whileRunning()) {
      cutPower(cut);
      // Nothing reaches the disk after the cut, so closing the store is no cleaner than a crash;
      // unlike abandon() it frees the store's memory. It must return, with or without an error.
      try {
        waits.blocking("close the store after the power cut", () -> closeStore(dead));
      } catch (java.io.IOException e) {
        trace.add("  close after the power cut: " + e.getMessage());
      }
    } else {
      // abandon() keeps the storage loop's buffers (about 1.4 MiB) for good.
      dead.abandon();
      cutPower(cut);
    }
    model.inFlightAtPowerCut(changes.stream().map(Issued::change).toList());
    counts.powerCuts++;
    store = open(true);
    verifyAll(true);
  }

  private void cutPower(Step.PowerCut cut) {
    if (cut.losingAllUnsynced()) {
      disk.powerCutLosingAllUnsynced();
    } else {
      disk.powerCut(new SplittableRandom(cut.seed()));
    }
  }

  private void cleanRestart() throws Exception {
    trace.add("close and open again");
    Store closing = store;
    store = null;
    waits.blocking("close the store", () -> closeStore(closing));
    store = open(false);
    if (store.recoveryReport().batchesReplayed() != 0) {
      throw trace.failure(
          "a clean close left batches to replay: " + store.recoveryReport().summary(), null);
    }
    verifyAll(false);
  }

  private static Void closeStore(Store closing) throws Exception {
    closing.close();
    return null;
  }

  private Store open(boolean afterPowerCut) throws Exception {
    Store opened;
    try {
      opened = waits.blocking("open the store", () -> Store.open(config));
    } catch (Exception e) {
      throw trace.failure("opening the store failed", e);
    }
    RecoveryReport report = opened.recoveryReport();
    trace.add("  opened: " + report.summary());
    counts.opened(report, afterPowerCut);
    return opened;
  }

  /** After a restart: the volumes exactly, and every sector of every volume. */
  private void verifyAll(boolean afterPowerCut) throws Exception {
    checkVolumeList();
    for (VolumeModel volume : model.volumes()) {
      for (int start = 0; start < volume.sectorCount(); start += WRITE_SECTORS_MAX) {
        int count = Math.min(WRITE_SECTORS_MAX, volume.sectorCount() - start);
        readAndCheck(volume, start, count, afterPowerCut);
      }
    }
  }

  private static String describe(long[] values) {
    return Arrays.stream(values)
        .mapToObj(value -> value == VolumeModel.ZEROS ? "zeros" : "generation " + value)
        .toList()
        .toString();
  }

  /** Stops a store left open by a failed run as a crash would; a hung close must not hang us. */
  @Override
  public void close() {
    if (store != null) {
      store.abandon();
      store = null;
    }
    arena.close();
  }
}
