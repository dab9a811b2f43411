package io.unblend.logstore.model;

import io.unblend.logstore.BlockStatusRun;
import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.StoreStatus;
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

  /** Names for clones: some only clones take, one that creates take too. */
  static final String[] CLONE_NAMES = {"epsilon", "zeta", "eta", "alpha"};

  static final String[] SNAPSHOT_NAMES = {"monday", "tuesday", "wednesday"};

  /** Writes an overwrite burst keeps in flight at a time. */
  private static final int BURST_WRITES_IN_FLIGHT = 4;

  /**
   * Logs of fewer segments get no overwrite bursts: with one segment held in reserve the cleaner
   * has nowhere to move data, and a burst only meets ENOSPC.
   */
  private static final int BURST_SEGMENTS_MIN = 4;

  /** A burst over fewer sectors than this would take thousands of tiny writes: none is made. */
  private static final int BURST_RANGE_SECTORS_MIN = 64;

  /**
   * On logs up to this size an overwrite burst writes several times the log, so the cleaner must
   * keep up; on larger ones (which would cost the run a second each) it writes an eighth of this.
   */
  private static final long BURST_LOG_SECTORS_MAX = (2 << 20) / SectorTags.SECTOR_BYTES;

  private final SimulatedDisk disk = new SimulatedDisk(4096, Tuning.DISK_BYTES);
  private final StoreConfiguration config;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment readBuffer =
      arena.allocate(Tuning.REQUEST_BYTES_MAX, SectorTags.SECTOR_BYTES * 8L);
  private final StoreModel model = new StoreModel();

  private final RunTrace trace = new RunTrace();
  private final StoreWaits waits = new StoreWaits(trace);

  private final RunCounts counts = new RunCounts();
  private final SnapshotSteps snapshots = new SnapshotSteps(this);
  private Store store;

  /** Buffers of the writes an overwrite burst has in flight, allocated at the first burst. */
  private MemorySegment[] burstBuffers;

  /** What the cleaner had moved since the store was opened, when the run last asked. */
  private long cleanerBytesSeen;

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

  Store store() {
    return store;
  }

  StoreModel model() {
    return model;
  }

  RunTrace trace() {
    return trace;
  }

  StoreWaits waits() {
    return waits;
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
      case Step.Snapshot snapshot -> snapshots.snapshot(snapshot);
      case Step.Clone clone -> snapshots.cloneSnapshot(clone);
      case Step.DeleteSnapshot delete -> snapshots.deleteSnapshot(delete);
      case Step.ReadSnapshot read -> readSnapshot(read);
      case Step.ChangedSince changed -> snapshots.changedSince(changed);
      case Step.ChangeSnapshot change -> snapshots.changeSnapshot(change);
      case Step.OverwriteBurst burst -> overwriteBurst(burst);
    }
  }

  /** Closes the store cleanly, opens it again and checks everything. */
  void finish() throws Exception {
    cleanRestart();
    noteCleaner();
    Store closing = store;
    store = null;
    waits.blocking("close the store", () -> closeStore(closing));
  }

  /**
   * Asks the store what its cleaner has moved since the last time, for the coverage: whether it
   * moved data, and whether snapshots shared the maps it re-pointed.
   */
  void noteCleaner() throws Exception {
    long moved = waits.blocking("store status", store::status).cleanerBytesWritten();
    if (moved > cleanerBytesSeen) {
      trace.add("  the cleaner has moved " + (moved - cleanerBytesSeen) + " more bytes");
      counts.cleanerBytesWritten += moved - cleanerBytesSeen;
      if (!model.snapshots().isEmpty()) {
        counts.cleaningsWithSnapshots++;
      }
      cleanerBytesSeen = moved;
    }
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
      model.grow(volume, sizeBytes);
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
  void refusedForSpace(String what) {
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

  /**
   * The store must list exactly the model's volumes, clones and snapshots with the model's sizes,
   * each a snapshot or not as the model says, with its origin while that exists.
   */
  void checkVolumeList() throws Exception {
    List<VolumeSummary> listed = waits.blocking("list volumes", store::listVolumes);
    Map<String, VolumeSummary> byName = new TreeMap<>();
    Map<String, Long> sizes = new TreeMap<>();
    for (VolumeSummary summary : listed) {
      if (byName.put(summary.name(), summary) != null) {
        throw trace.failure("the store lists volume " + summary.name() + " twice: " + listed, null);
      }
      sizes.put(summary.name(), summary.sizeBytes());
    }
    if (!sizes.equals(model.sizesByName())) {
      throw trace.failure(
          "the store lists volumes " + sizes + " but the model has " + model.sizesByName(), null);
    }
    for (VolumeModel volume : model.all()) {
      VolumeSummary summary = byName.get(volume.name());
      VolumeModel origin = volume.origin();
      boolean originExists =
          origin != null
              && (model.volume(origin.name()) == origin || model.snapshot(origin.name()) == origin);
      int originId = originExists ? byName.get(origin.name()).id() : summary.originId();
      if (summary.snapshot() != volume.isSnapshot()
          || (origin == null ? summary.originId() != 0 : summary.originId() != originId)
          || handle(volume).id() != summary.id()) {
        throw trace.failure("the store lists " + summary + " for " + volume + ": " + listed, null);
      }
    }
  }

  Volume handle(VolumeModel volume) {
    Volume handle = store.volume(volume.name());
    if (handle == null
        || handle.sizeBytes() != volume.sizeBytes()
        || handle.isSnapshot() != volume.isSnapshot()) {
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
    model.touched(volume, startSector, sectorCount);
    long value = VolumeModel.ZEROS;
    CompletableFuture<Void> done;
    switch (step.kind()) {
      case WRITE -> {
        value = model.nextGeneration(volume);
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

  /**
   * Overwrites a range again and again at random places, {@link #BURST_WRITES_IN_FLIGHT} writes at
   * a time, each group waited for; the trace gets one line per group. Random places leave segments
   * partly live, so the cleaner has to move data to make room. A burst ends at its first ENOSPC.
   */
  private void overwriteBurst(Step.OverwriteBurst step) throws Exception {
    VolumeModel volume = pick(step.volumePick());
    if (volume == null) {
      return;
    }
    if (store.logBytes() / store.configuration().segmentBytes() < BURST_SEGMENTS_MIN) {
      return;
    }
    long logSectors = store.logBytes() / SectorTags.SECTOR_BYTES;
    // Live data stays under a logDivisor-th of the log however much the burst writes: the burst
    // adds at most its range to what the maps hold (snapshots keep the old data, counted already).
    long liveSectors = model.liveBytesMax() / SectorTags.SECTOR_BYTES;
    long roomSectors = logSectors / step.logDivisor() - liveSectors;
    if (roomSectors < BURST_RANGE_SECTORS_MIN) {
      trace.add("no overwrite burst of " + volume.name() + ": live data fills the log enough");
      return;
    }
    int rangeSectors = (int) Math.min(volume.sectorCount(), roomSectors);
    int startSector = step.offsetPick() % (volume.sectorCount() - rangeSectors + 1);
    long sectorsToWrite =
        logSectors <= BURST_LOG_SECTORS_MAX
            ? step.logMultiple() * logSectors
            : BURST_LOG_SECTORS_MAX / 8;
    if (burstBuffers == null) {
      burstBuffers = new MemorySegment[BURST_WRITES_IN_FLIGHT];
      for (int i = 0; i < burstBuffers.length; i++) {
        burstBuffers[i] = arena.allocate(Tuning.REQUEST_BYTES_MAX, 4096);
      }
    }
    trace.add(
        "overwrite "
            + volume.name()
            + " sectors "
            + startSector
            + "+"
            + rangeSectors
            + " at random, "
            + sectorsToWrite * SectorTags.SECTOR_BYTES
            + " bytes in all");
    Volume handle = handle(volume);
    SplittableRandom random = new SplittableRandom(step.seed());
    int enospcBefore = counts.enospc;
    for (long written = 0; written < sectorsToWrite && counts.enospc == enospcBefore; ) {
      List<Issued> group = new ArrayList<>();
      StringBuilder line = new StringBuilder("  burst:");
      for (int i = 0; i < BURST_WRITES_IN_FLIGHT && written < sectorsToWrite; i++) {
        // Mostly 4 KiB-aligned pieces of 4 to 64 KiB, as a file system or database writes.
        int sector = startSector + random.nextInt(rangeSectors) / 8 * 8;
        int sectorCount =
            Math.min(
                8 * (1 + random.nextInt(WRITE_SECTORS_MAX / 8)),
                startSector + rangeSectors - sector);
        model.touched(volume, sector, sectorCount);
        long generation = model.nextGeneration(volume);
        MemorySegment data =
            burstBuffers[i].asSlice(0, (long) sectorCount * SectorTags.SECTOR_BYTES);
        SectorTags.fill(data, volume.tag(), sector, generation);
        String description = sector + "+" + sectorCount + " generation " + generation;
        line.append(' ').append(description);
        group.add(
            new Issued(
                new SectorChange(volume, sector, sectorCount, generation, false),
                handle.write((long) sector * SectorTags.SECTOR_BYTES, data, false),
                "burst write " + volume.name() + " sectors " + description));
        written += sectorCount;
      }
      trace.add(line.toString());
      finishGroup(group, List.of());
    }
    if (counts.enospc != enospcBefore) {
      long liveBytesMax = model.liveBytesMax();
      StoreStatus status = waits.blocking("store status", store::status);
      trace.add("  at ENOSPC the maps hold at most " + liveBytesMax + " bytes; " + status);
      if (liveBytesMax < store.logBytes() / 4 && status.segmentCount() >= 8) {
        counts.enospcWithRoom++;
      }
    }
    noteCleaner();
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
    readBack(pick(step.volumePick()), step.offsetPick(), step.sectorCount());
  }

  private void readSnapshot(Step.ReadSnapshot step) {
    List<VolumeModel> snapshots = model.snapshots();
    if (!snapshots.isEmpty()) {
      readBack(
          snapshots.get(step.snapshotPick() % snapshots.size()),
          step.offsetPick(),
          step.sectorCount());
    }
  }

  private void readBack(VolumeModel volume, int offsetPick, int sectorCountPick) {
    if (volume == null) {
      return;
    }
    int sectorCount = Math.min(Math.min(sectorCountPick, WRITE_SECTORS_MAX), volume.sectorCount());
    int startSector = offsetPick % (volume.sectorCount() - sectorCount + 1);
    trace.add("read back " + volume.name() + " sectors " + startSector + "+" + sectorCount);
    readAndCheck(volume, startSector, sectorCount, false);
    checkBlockStatus(volume, startSector, sectorCount);
  }

  /**
   * Reads sectors and checks each against the model: against what it may read now, or after a power
   * cut; then the model takes what was read as settled (after a restart) or observed. A read that
   * is not after a restart also asks for the allocation runs it found, and checks them as {@link
   * #checkBlockStatus} does.
   */
  private void readAndCheck(
      VolumeModel volume, int startSector, int sectorCount, boolean afterRestart) {
    long lengthBytes = (long) sectorCount * SectorTags.SECTOR_BYTES;
    MemorySegment into = readBuffer.asSlice(0, lengthBytes);
    into.fill((byte) 0x5a);
    long offsetBytes = (long) startSector * SectorTags.SECTOR_BYTES;
    CompletableFuture<List<BlockStatusRun>> read =
        afterRestart
            ? handle(volume).read(offsetBytes, into).thenApply(ignored -> null)
            : handle(volume).readWithStatus(offsetBytes, into);
    Throwable outcome = waits.outcome(read, "read of " + volume.name());
    if (outcome != null) {
      throw trace.failure(
          "reading " + volume + " sectors " + startSector + "+" + sectorCount, outcome);
    }
    for (int i = 0; i < sectorCount; i++) {
      int sector = startSector + i;
      MemorySegment sectorData =
          into.asSlice((long) i * SectorTags.SECTOR_BYTES, SectorTags.SECTOR_BYTES);
      long value = SectorTags.generationOf(sectorData, sector, model::writerTag);
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
    if (!afterRestart) {
      checkRuns(volume, startSector, sectorCount, read.join(), "the read");
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
    checkRuns(volume, startSector, sectorCount, status.join(), "block status");
  }

  /** Allocation runs must call a sector zero exactly when it reads as zeros. */
  private void checkRuns(
      VolumeModel volume, int startSector, int sectorCount, List<BlockStatusRun> runs, String by) {
    int sector = startSector;
    for (BlockStatusRun run : runs) {
      if (run.lengthBytes() <= 0 || run.lengthBytes() % SectorTags.SECTOR_BYTES != 0) {
        throw trace.failure(by + " gave a run of " + run.lengthBytes() + " bytes: " + runs, null);
      }
      if (run.hole() && !run.zero()) {
        throw trace.failure(by + " gave a hole that does not read as zeros: " + runs, null);
      }
      for (long i = 0; i < run.lengthBytes() / SectorTags.SECTOR_BYTES; i++, sector++) {
        if (sector >= startSector + sectorCount) {
          throw trace.failure(by + " ran past the range asked for: " + runs, null);
        }
        boolean zeros = volume.now(sector)[0] == VolumeModel.ZEROS;
        if (run.zero() != zeros) {
          throw trace.failure(
              by
                  + " calls sector "
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
      throw trace.failure(by + " covered sectors up to " + sector + " only: " + runs, null);
    }
  }

  // ---- restarts ------------------------------------------------------------------------------

  private void powerCut(Step.PowerCut cut) throws Exception {
    trace.add(
        "power cut "
            + (cut.whileRunning() ? "while the store runs, " : "after the store stopped, ")
            + (cut.losingAllUnsynced() ? "losing all unsynced writes" : "with seed " + cut.seed())
            + (cut.inFlight().isEmpty() ? "" : ", with these in flight:"));
    noteCleaner();
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
    noteCleaner();
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
    cleanerBytesSeen = 0;
    return opened;
  }

  /** After a restart: the volumes exactly, and every sector of every volume, clone and snapshot. */
  private void verifyAll(boolean afterPowerCut) throws Exception {
    checkVolumeList();
    if (afterPowerCut && !model.snapshots().isEmpty()) {
      counts.powerCutsWithSnapshots++;
    }
    for (VolumeModel volume : model.all()) {
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
