package io.unblend.logstore;

import io.unblend.logstore.checkpoint.CheckpointFormat;
import io.unblend.logstore.checkpoint.CheckpointImage;
import io.unblend.logstore.checkpoint.Checkpointer;
import io.unblend.logstore.checkpoint.Recovery;
import io.unblend.logstore.checkpoint.RecoveryReport;
import io.unblend.logstore.core.Request;
import io.unblend.logstore.core.StorageLoop;
import io.unblend.logstore.core.StoreState;
import io.unblend.logstore.core.VolumeState;
import io.unblend.logstore.core.VolumeSummary;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.logstore.layout.StoreLock;
import io.unblend.logstore.log.LogPosition;
import io.unblend.logstore.log.SegmentTable;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoEngine;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * A store: many thin volumes in one shared log on a data directory or block device. Opening it
 * recovers from the newest checkpoint and the log after it; closing it finishes every request and
 * writes a checkpoint, so the next open replays nothing.
 */
public final class Store implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Store.class.getName());

  /**
   * How long close waits for the storage thread: far longer than draining the requests in flight
   * and writing the final checkpoint take (a few seconds for the largest maps), so only a device
   * that stopped answering reaches it.
   */
  private static final Duration CLOSE_WAIT = Duration.ofMinutes(5);

  private static final int NAME_BYTES_MAX = 255;

  private final StoreConfiguration config;
  private final StoreLock lock;
  private final IoEngine engine;
  private final StoreLayout layout;
  private final Checkpointer checkpointer;
  private final StorageLoop loop;
  private final RecoveryReport recoveryReport;
  private final Map<String, Volume> volumes = new ConcurrentHashMap<>();
  private boolean closed;

  private Store(
      StoreConfiguration config,
      StoreLock lock,
      IoEngine engine,
      StoreLayout layout,
      Checkpointer checkpointer,
      StorageLoop loop,
      RecoveryReport recoveryReport,
      List<VolumeState> volumeStates) {
    this.config = config;
    this.lock = lock;
    this.engine = engine;
    this.layout = layout;
    this.checkpointer = checkpointer;
    this.loop = loop;
    this.recoveryReport = recoveryReport;
    for (VolumeState volume : volumeStates) {
      volumes.put(
          volume.name(),
          new Volume(
              loop,
              volume.id(),
              volume.name(),
              volume.sizeBytes(),
              config.requestBytesMax(),
              volume.isSnapshot()));
    }
  }

  /** Opens (and, where allowed, creates) the store the configuration names. */
  public static Store open(StoreConfiguration config) throws IOException {
    if (config.location() instanceof StoreLocation.Directory directory
        && !config.createIfMissing()
        && !StoreLayout.holdsStore(directory.path())) {
      // Checked before the lock, so that looking for a store leaves no files behind.
      throw new StoreException(
          Errno.ENOENT,
          directory.path() + " holds no unblend store, and creating one was not asked for");
    }
    StoreLock lock = config.locking() ? lock(config.location()) : null;
    IoEngine engine = null;
    StoreLayout layout = null;
    Checkpointer checkpointer = null;
    try {
      engine = config.engines().open(config.queueDepth());
      layout = StoreLayout.open(config, engine);
      BlockingIo io = new BlockingIo(engine);
      if (layout.formatted()) {
        format(layout, io);
      }
      Recovery.Result recovered = new Recovery(layout, io).run();
      RecoveryReport report = recovered.report();
      LOG.log(Level.INFO, "store {0}: {1}", config.location().path(), report.summary());

      checkpointer = new Checkpointer(layout, config.engines().open(8));
      // The first checkpoint of this open makes the new epoch durable before any batch carries
      // it, and saves the replayed tail so that it is never replayed again.
      int slot = 1 - recovered.checkpointSlot();
      StoreState state = recovered.state();
      CheckpointImage opening =
          CheckpointImage.of(
              state,
              layout.superblock().storeId(),
              recovered.checkpointSequence() + 1,
              recovered.nextEpoch(),
              recovered.nextBatchSequence(),
              recovered.head(),
              recovered.coldHead());
      long openingBytes = checkpointer.write(slot, opening);
      long[] slotNext = recovered.slotNextBatchSequences().clone();
      slotNext[slot] = opening.nextBatchSequence();

      StorageLoop loop =
          new StorageLoop(
              config,
              layout,
              engine,
              state,
              checkpointer,
              new StorageLoop.Start(
                  recovered.nextBatchSequence(),
                  recovered.head(),
                  recovered.coldHead(),
                  recovered.nextEpoch(),
                  opening.checkpointSequence(),
                  1 - slot,
                  slotNext,
                  openingBytes));
      Store store =
          new Store(
              config,
              lock,
              engine,
              layout,
              checkpointer,
              loop,
              report,
              new ArrayList<>(state.volumes()));
      loop.start();
      return store;
    } catch (IOException | RuntimeException e) {
      closeQuietly(checkpointer);
      closeQuietly(layout);
      if (layout != null && layout.formatted()) {
        layout.removeIfUnformatted();
      }
      closeQuietly(engine);
      closeQuietly(lock);
      throw e;
    }
  }

  /** The JDK's message for a failed file operation is often the bare path: this says why. */
  private static String whyNot(IOException e) {
    return switch (e) {
      case AccessDeniedException denied -> "permission denied on " + denied.getFile();
      case FileAlreadyExistsException exists -> exists.getFile() + " exists and is not a directory";
      case NoSuchFileException missing -> "no such file or directory: " + missing.getFile();
      case FileSystemException other when other.getReason() != null ->
          other.getReason() + " (" + other.getFile() + ")";
      default -> e.toString();
    };
  }

  private static StoreLock lock(StoreLocation location) throws IOException {
    return switch (location) {
      case StoreLocation.Directory directory -> {
        try {
          Files.createDirectories(directory.path());
        } catch (IOException e) {
          throw new StoreException(
              Errno.EACCES,
              "cannot create the data directory " + directory.path() + ": " + whyNot(e),
              e);
        }
        yield StoreLock.directory(directory.path());
      }
      case StoreLocation.Device device -> StoreLock.device(device.path());
    };
  }

  /** Writes a new store's first checkpoint, then its superblock. */
  private static void format(StoreLayout layout, BlockingIo io) throws IOException {
    SegmentTable segments =
        new SegmentTable(layout.superblock().segmentBytes(), layout.superblock().segmentCount());
    if (layout.isDevice()) {
      for (int s = 0; s < segments.segmentCount(); s++) {
        segments.markPrewritten(s);
      }
    }
    CheckpointImage empty =
        new CheckpointImage(
            layout.superblock().storeId(),
            1,
            0,
            1,
            LogPosition.NONE,
            LogPosition.NONE,
            1,
            segments,
            List.of());
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment staging = arena.allocate(1 << 20, Bytes.BLOCK_BYTES);
      CheckpointFormat.write(io, layout.checkpointSlot(0), empty, staging);
    }
    layout.commitFormat(io);
  }

  /** What recovery did when this store was opened. */
  public RecoveryReport recoveryReport() {
    return recoveryReport;
  }

  public StoreConfiguration configuration() {
    return config;
  }

  /** The name of the I/O engine in use ("io_uring", "pread/pwrite", "simulated"). */
  public String engineName() {
    return engine.name();
  }

  /** Whether this open created the store (formatted its log), rather than finding one. */
  public boolean created() {
    return layout.formatted();
  }

  /** The log's capacity in bytes. */
  public long logBytes() {
    return layout.superblock().logBytes();
  }

  /** The volume of that name, or null. */
  public Volume volume(String name) {
    return volumes.get(name);
  }

  /** Every volume, as the storage thread sees them now. */
  public List<VolumeSummary> listVolumes() throws StoreException {
    CompletableFuture<List<VolumeSummary>> done = new CompletableFuture<>();
    loop.submit(new Request.ListVolumes(done));
    return await(done);
  }

  /** Creates a thin volume; it is durable when this returns. */
  public Volume createVolume(String name, long sizeBytes) throws StoreException {
    checkName("volume", name);
    checkSize(sizeBytes);
    Request.CreateVolume create = new Request.CreateVolume(name, sizeBytes);
    loop.submit(create);
    await(create.done());
    return added(create.volumeId(), name, sizeBytes, false);
  }

  /**
   * Takes a read-only snapshot of a volume, named {@code volume@snapshot}: O(1) for the map, no
   * data copied, durable when this returns. It holds the volume's contents as of the last write
   * completed before the call.
   */
  public Volume createSnapshot(String volume, String snapshot) throws StoreException {
    return createGroupSnapshot(snapshot, List.of(volume)).getFirst();
  }

  /**
   * Snapshots several volumes at one log position, each named {@code volume@snapshot}: together
   * they are crash-consistent, as if the power had been cut at one instant.
   */
  public List<Volume> createGroupSnapshot(String snapshot, List<String> volumeNames)
      throws StoreException {
    checkName("snapshot", snapshot);
    if (volumeNames.isEmpty()
        || new java.util.HashSet<>(volumeNames).size() != volumeNames.size()) {
      throw new StoreException(
          Errno.EINVAL, "a group snapshot needs one or more distinct volumes: " + volumeNames);
    }
    if (volumeNames.size() > config.batchEntriesMax()) {
      // One batch makes the group one log position; it holds at most this many entries.
      throw new StoreException(
          Errno.EINVAL,
          "a group snapshot takes at most "
              + config.batchEntriesMax()
              + " volumes (the store setting batchEntriesMax), not "
              + volumeNames.size());
    }
    int[] sources = new int[volumeNames.size()];
    List<String> names = new ArrayList<>();
    for (int i = 0; i < sources.length; i++) {
      Volume source = require(volumeNames.get(i));
      if (source.isSnapshot()) {
        throw new StoreException(
            Errno.EINVAL, "'" + source.name() + "' is a snapshot; snapshot a volume or clone");
      }
      sources[i] = source.id();
      names.add(snapshotName(source.name(), snapshot));
      checkName("snapshot", names.getLast().replace('@', '-'));
    }
    Request.Snapshot request = new Request.Snapshot(sources, names);
    loop.submit(request);
    await(request.done());
    int[] ids = request.snapshotIds();
    List<Volume> created = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      Volume source = require(volumeNames.get(i));
      created.add(added(ids[i], names.get(i), source.sizeBytes(), true));
    }
    return created;
  }

  /** Deletes snapshot {@code volume@snapshot}; the space only it held is freed. */
  public void deleteSnapshot(String volume, String snapshot) throws StoreException {
    delete(requireSnapshot(volume, snapshot));
  }

  /**
   * Creates a writable volume {@code newVolume} that starts as snapshot {@code volume@snapshot} and
   * shares all its data until written; durable when this returns.
   */
  public Volume cloneSnapshot(String volume, String snapshot, String newVolume)
      throws StoreException {
    checkName("volume", newVolume);
    Volume source = requireSnapshot(volume, snapshot);
    Request.Clone clone = new Request.Clone(source.id(), newVolume);
    loop.submit(clone);
    await(clone.done());
    return added(clone.volumeId(), newVolume, source.sizeBytes(), false);
  }

  /** Space, fill and write amplification now. */
  public StoreStatus status() throws StoreException {
    CompletableFuture<StoreStatus> done = new CompletableFuture<>();
    loop.submit(new Request.Status(done));
    return await(done);
  }

  private Volume requireSnapshot(String volume, String snapshot) throws StoreException {
    String name = snapshotName(volume, snapshot);
    Volume existing = volumes.get(name);
    if (existing == null || !existing.isSnapshot()) {
      throw new StoreException(Errno.ENOENT, "no snapshot named '" + name + "'");
    }
    return existing;
  }

  private static String snapshotName(String volume, String snapshot) {
    return volume + "@" + snapshot;
  }

  private Volume added(int id, String name, long sizeBytes, boolean snapshot) {
    Volume volume = new Volume(loop, id, name, sizeBytes, config.requestBytesMax(), snapshot);
    volumes.put(name, volume);
    return volume;
  }

  /**
   * Fails unless {@code name} may name a volume, snapshot or clone ({@code what}): 1 to 255 bytes
   * of UTF-8, without '@' or control characters.
   */
  public static void checkName(String what, String name) throws StoreException {
    byte[] encoded = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (encoded.length == 0
        || encoded.length > NAME_BYTES_MAX
        || name.contains("@")
        || name.chars().anyMatch(Character::isISOControl)) {
      throw new StoreException(
          Errno.EINVAL,
          what
              + " name '"
              + name.replaceAll("(?U)\\p{Cntrl}", "?")
              + "' must be 1 to "
              + NAME_BYTES_MAX
              + " bytes of UTF-8 without '@' (it separates volume and snapshot) or control"
              + " characters");
    }
  }

  /** Grows a volume; it is durable when this returns. */
  public void resizeVolume(String name, long sizeBytes) throws StoreException {
    Volume volume = require(name);
    checkSize(sizeBytes);
    Request.ResizeVolume resize = new Request.ResizeVolume(volume.id(), sizeBytes);
    loop.submit(resize);
    await(resize.done());
    volume.sizeChanged(sizeBytes);
  }

  /**
   * Deletes a volume or clone and frees the space only it held; its snapshots, and clones of them,
   * stay. Durable when this returns.
   */
  public void deleteVolume(String name) throws StoreException {
    Volume volume = require(name);
    if (volume.isSnapshot()) {
      throw new StoreException(
          Errno.EINVAL, "'" + name + "' is a snapshot: delete it as a snapshot");
    }
    delete(volume);
  }

  private void delete(Volume volume) throws StoreException {
    Request.DeleteVolume delete = new Request.DeleteVolume(volume.id());
    loop.submit(delete);
    await(delete.done());
    volumes.remove(volume.name());
  }

  /** Completes when every write completed before it is durable. */
  public CompletableFuture<Void> flush() {
    return loop.requestFlush();
  }

  private Volume require(String name) throws StoreException {
    Volume volume = volumes.get(name);
    if (volume == null) {
      throw new StoreException(Errno.ENOENT, "no volume named '" + name + "'");
    }
    return volume;
  }

  private static void checkSize(long sizeBytes) throws StoreException {
    if (sizeBytes <= 0 || sizeBytes % Bytes.SECTOR_BYTES != 0 || sizeBytes > (1L << 60)) {
      throw new StoreException(
          Errno.EINVAL,
          "volume size " + sizeBytes + " must be a positive multiple of 512 bytes, at most 1 EiB");
    }
  }

  private static <T> T await(CompletableFuture<T> future) throws StoreException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(Errno.EINTR, "interrupted while waiting for the store", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StoreException store) {
        throw store;
      }
      throw new StoreException(Errno.EIO, e.getCause().getMessage(), e.getCause());
    }
  }

  /** Finishes every request, writes a checkpoint, and releases the store. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.submit(new Request.Shutdown(done));
    // The thread answers the shutdown before it ends.
    if (!joinUninterruptibly(loop.thread(), CLOSE_WAIT)) {
      // Blocked in the kernel on a device that does not answer: its buffers, the engine and the
      // lock stay as they are (the kernel may still write into them) until the process ends.
      throw new StoreException(
          Errno.EIO,
          "the storage thread did not stop within "
              + CLOSE_WAIT.toMinutes()
              + " minutes (is the log device hung?); the store is left open until the process"
              + " ends");
    }
    // Finish the engine's I/O before freeing the buffers it may use.
    closeQuietly(engine);
    if (engine.inFlight() == 0) {
      loop.release();
    } else {
      LOG.log(
          Level.ERROR,
          "{0} operations are still in the kernel; their buffers stay allocated",
          engine.inFlight());
    }
    closeQuietly(checkpointer);
    closeQuietly(layout);
    closeQuietly(lock);
    // Answered by the thread in every way it can end; this is for one it had no way to foresee.
    done.completeExceptionally(
        new StoreException(Errno.EIO, "the storage thread ended without finishing the shutdown"));
    await(done);
  }

  /**
   * Waits for the storage thread to end, at most {@code limit}; an interrupt is kept for later, not
   * obeyed.
   *
   * @return whether the thread ended
   */
  private static boolean joinUninterruptibly(Thread thread, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return thread.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Stops without finishing anything: no flush, no checkpoint, as if the process died. For crash
   * tests on the simulated disk, which then cuts the power.
   */
  public synchronized void abandon() {
    closed = true;
    loop.abandon();
    // The thread has stopped: finish the engine's I/O before freeing the buffers it may use.
    closeQuietly(engine);
    loop.release();
    closeQuietly(checkpointer);
    closeQuietly(layout);
    closeQuietly(lock);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "closing {0} failed: {1}", closeable, e.getMessage());
    }
  }
}
