package io.unblend.logstore.core;

import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.StoreStatus;
import io.unblend.logstore.checkpoint.CheckpointImage;
import io.unblend.logstore.checkpoint.Checkpointer;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.logstore.log.BatchHeader;
import io.unblend.logstore.log.EntryType;
import io.unblend.logstore.log.LogPosition;
import io.unblend.logstore.log.SegmentTable;
import io.unblend.nativeio.CompletionHandler;
import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.NativeIoException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;

/**
 * The storage thread: the one thread that owns the store's state and its I/O engine. Other threads
 * hand it {@link Request}s; it packs writes of every volume into batches (group commit), writes
 * them at the client head of the log (the cleaner's moves at the cold head), answers reads from the
 * log or from batches still in flight, answers flushes with shared datasyncs, and starts
 * checkpoints. Owning everything on one thread means the maps and the segment table need no locks.
 */
public final class StorageLoop implements Runnable, CompletionHandler {
  private static final System.Logger LOG = System.getLogger(StorageLoop.class.getName());

  private static final long KIND_SHIFT = 56;
  private static final long BATCH = 1L << KIND_SHIFT;
  private static final long READ = 2L << KIND_SHIFT;
  private static final long DATASYNC = 3L << KIND_SHIFT;
  private static final long PREWRITE = 4L << KIND_SHIFT;
  private static final long INDEX_MASK = (1L << KIND_SHIFT) - 1;
  private static final int PREWRITE_CHUNK_BYTES = 1 << 20;
  private static final int PREWRITTEN_AHEAD = 2;

  /** Segments that only batches freeing or moving space may take: see {@link #freeSegment}. */
  private static final int RESERVE_SEGMENTS = 1;

  private static final long IDLE_PARK_NANOS = 100_000_000;

  /**
   * Header bytes a capped cold batch leaves room for: two blocks hold 254 relocation entries. A
   * batch that needs more simply starts a fresh segment.
   */
  private static final long COLD_HEADER_BYTES = 2L * Bytes.BLOCK_BYTES;

  /**
   * Logs of fewer segments append the cleaner's moves at the client head: there, a second partly
   * filled segment would cost too large a share of the space (ADR 0007).
   */
  private static final int COLD_HEAD_SEGMENTS_MIN = 8;

  /** Regular checkpoints come at least this many times their own size of log apart... */
  private static final long LOG_BYTES_PER_CHECKPOINT_BYTE = 4;

  /**
   * ...but no further apart than this fraction of the log: an emptied segment waits until both
   * checkpoint slots replay from past it (ADR 0008), up to two intervals of log.
   */
  private static final long CHECKPOINT_INTERVALS_PER_LOG = 16;

  /** The smallest batch: a header block and a data block. */
  private static final long BATCH_BYTES_MIN = 2L * Bytes.BLOCK_BYTES;

  private final StoreConfiguration config;
  private final StoreLayout layout;
  private final IoEngine engine;
  private final StoreState state;
  private final SegmentTable segments;
  private final Checkpointer checkpointer;
  private final long storeId;
  private final long epoch;
  private final int segmentBytes;

  private final ConcurrentLinkedQueue<Request> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean sleeping = new AtomicBoolean();
  private final Semaphore admittedBytes;
  private final Arena arena = Arena.ofShared();
  private Thread thread;

  // Batches: one open per head, up to batchesInFlightMax per head being written, the rest free.
  // Both heads share one sequence, and batches complete in its order.
  private final BatchBuffer[] batches;
  private final ArrayDeque<BatchBuffer> freeBatches = new ArrayDeque<>();
  private final ArrayDeque<BatchBuffer> batchesInFlight = new ArrayDeque<>();
  private BatchBuffer open;
  private BatchBuffer coldOpen;
  private final LogHead head;
  private final LogHead coldHead;
  private final LogHead movesHead;
  private final IntPredicate isHead = this::isHead;
  private boolean coldWentLast;
  private final ArrayDeque<Request.Logged> waiting = new ArrayDeque<>();

  /** Segments last found free for a head, one more than the reserve: see clientRoomAssured. */
  private final int[] reusableHints = new int[RESERVE_SEGMENTS + 1];

  private long nextSequence;
  private long completedSequence;

  // Flushes.
  private final FlushWaiters flushWaiters = new FlushWaiters();
  private long durableSequence;

  /** A batch that released a segment clients wait for: a datasync must cover it. */
  private long releaseWanted;

  private boolean datasyncInFlight;
  private long datasyncCovers;

  /**
   * Whether every completed batch is durable, published for {@link #requestFlush}. Written before
   * the writes of a batch are answered, so a flush that follows them sees it.
   */
  private volatile boolean completedAreDurable = true;

  /** Flushes clients asked for, on any thread: see {@link #writesDurably}. */
  private final AtomicLong flushesAsked = new AtomicLong();

  private long flushesAskedBeforeLastBatch;
  private boolean flushFollowedLastBatch;

  // Reads.
  private final ReadPath reads;

  // Cleaning.
  private final Cleaner cleaner;

  // Checkpoints.
  private final long[] slotNextSequence = new long[2];
  private int nextCheckpointSlot;
  private long checkpointSequence;
  private long bytesSinceCheckpoint;
  private CheckpointImage checkpointPending;
  private boolean checkpointWriting;
  private int checkpointsWanted;
  private long checkpointFailedBefore = -1;

  /** Whether the log is full and the log says so: once until writes are taken again. */
  private boolean fullReported;

  // Pre-writing segments ahead of the head.
  private final MemorySegment zeros;
  private int prewriteSegment = -1;
  private long prewriteOffsetBytes;
  private boolean prewriteInFlight;
  private boolean prewriteFinished;

  // Write amplification since the store was opened.
  private long clientBytesWritten;
  private long logBytesWritten;
  private long cleanerBytesWritten;
  private long checkpointsWritten;
  private long checkpointBytesWritten;

  /** The size of the last checkpoint written, the opening one included. */
  private long lastCheckpointBytes;

  private StoreException failure;
  private Request.Shutdown shutdown;
  private volatile boolean stopped;

  /** Where recovery left the log: the loop continues from there. */
  public record Start(
      long nextSequence,
      LogPosition head,
      LogPosition coldHead,
      long epoch,
      long checkpointSequence,
      int nextCheckpointSlot,
      long[] slotNextSequences,
      long checkpointBytes) {}

  public StorageLoop(
      StoreConfiguration config,
      StoreLayout layout,
      IoEngine engine,
      StoreState state,
      Checkpointer checkpointer,
      Start start) {
    this.config = config;
    this.layout = layout;
    this.engine = engine;
    this.state = state;
    this.segments = state.segments();
    this.checkpointer = checkpointer;
    this.storeId = layout.superblock().storeId();
    this.epoch = start.epoch();
    this.segmentBytes = layout.superblock().segmentBytes();
    this.nextSequence = start.nextSequence();
    this.completedSequence = start.nextSequence() - 1;
    this.durableSequence = completedSequence;
    this.head = new LogHead(false, start.head(), segmentBytes);
    this.coldHead = new LogHead(true, start.coldHead(), segmentBytes);
    this.movesHead = segments.segmentCount() >= COLD_HEAD_SEGMENTS_MIN ? coldHead : head;
    this.checkpointSequence = start.checkpointSequence();
    this.nextCheckpointSlot = start.nextCheckpointSlot();
    System.arraycopy(start.slotNextSequences(), 0, slotNextSequence, 0, 2);
    this.lastCheckpointBytes = start.checkpointBytes();
    this.admittedBytes =
        new Semaphore((int) Math.min(Integer.MAX_VALUE, config.inFlightBytesMax()));
    this.batches = new BatchBuffer[2 * config.batchesInFlightMax() + 2];
    for (int i = 0; i < batches.length; i++) {
      batches[i] = new BatchBuffer(i, arena, config.batchBytesMax(), config.batchEntriesMax());
      freeBatches.add(batches[i]);
    }
    this.open = freeBatches.poll();
    this.coldOpen = freeBatches.poll();
    this.reads = new ReadPath(config, layout, segments, engine, READ);
    this.cleaner =
        new Cleaner(
            state,
            config.batchBytesMax(),
            config.batchEntriesMax(),
            config.cleanerInFlightBytes(),
            config.cleanerInlineSearchExtents(),
            this::submit);
    this.zeros = arena.allocate(PREWRITE_CHUNK_BYTES, Bytes.BLOCK_BYTES);
    Arrays.fill(reusableHints, -1);
  }

  /** Starts the thread; requests may be submitted from then on. */
  public void start() {
    thread = new Thread(this, "unblend-storage");
    thread.setDaemon(true);
    thread.start();
  }

  /** Bytes of write data that may be accepted before writers block (back-pressure). */
  public void admit(long bytes) {
    admittedBytes.acquireUninterruptibly((int) Math.min(bytes, config.inFlightBytesMax()));
  }

  private void release(long bytes) {
    if (bytes > 0) {
      admittedBytes.release((int) Math.min(bytes, config.inFlightBytesMax()));
    }
  }

  /** Hands a request to the storage thread; safe from any thread. */
  public void submit(Request request) {
    inbox.add(request);
    if (stopped) {
      // The thread empties its inbox one last time as it stops: this request may have come after.
      Request pending;
      while ((pending = inbox.poll()) != null) {
        failRequest(pending, new StoreException(Errno.EIO, "the store is closed"));
      }
      return;
    }
    if (sleeping.get() && sleeping.compareAndSet(true, false)) {
      engine.wakeup();
      LockSupport.unpark(thread);
    }
  }

  @Override
  public void run() {
    try {
      while (!stopped) {
        takeRequests();
        if (shutdown != null && isQuiet()) {
          finishShutdown();
          return;
        }
        clean();
        sealAndSubmitBatches();
        reads.issuePending();
        startCheckpointIfDue();
        startDatasyncIfNeeded();
        prewriteAhead();
        engine.submit();
        if (shutdown == null || !isQuiet()) {
          waitForWork(); // Quiet now: the next pass finishes the shutdown instead of sleeping.
        }
      }
    } catch (NativeIoException | RuntimeException | Error e) {
      stopAfter(e);
    }
  }

  /**
   * After an unexpected error. The thread first stops taking requests (from now on each submitter
   * answers its own), then answers everything it holds; the shutdown, if one came, is answered last
   * and even if logging or answering throws, so that no caller waits for ever.
   */
  private void stopAfter(Throwable e) {
    if (failure == null) {
      failure = new StoreException(Errno.EIO, "storage thread failed: " + e.getMessage(), e);
    }
    completedAreDurable = false;
    stopped = true;
    try {
      LOG.log(Level.ERROR, "storage thread stopped by an unexpected error", e);
      failEverything();
      awaitReadsInFlight();
    } finally {
      if (shutdown != null) {
        shutdown.done().completeExceptionally(failure);
      }
    }
  }

  /**
   * After an unexpected error: waits for the reads still in the kernel, whose failures are answered
   * as they complete, so that no caller gets its memory back while the kernel writes into it. Other
   * completions are dropped: their requests were answered already.
   */
  private void awaitReadsInFlight() {
    try {
      engine.submit(); // Reads prepared in the failed pass, too: their completions answer them.
      while (engine.inFlight() > 0) {
        engine.awaitCompletions(
            1,
            (userData, result) -> {
              if ((userData & ~INDEX_MASK) == READ) {
                reads.completed((int) (userData & INDEX_MASK), result);
              }
            });
      }
    } catch (NativeIoException | RuntimeException | Error e) {
      LOG.log(Level.ERROR, "waiting for the reads in flight failed too", e);
      reads.abandonInFlight(failure);
    }
  }

  private void waitForWork() throws NativeIoException {
    sleeping.set(true);
    if (!inbox.isEmpty()) {
      sleeping.set(false);
      engine.awaitCompletions(0, this);
      return;
    }
    if (engine.inFlight() > 0) {
      engine.awaitCompletions(1, this);
    } else {
      // Bounded, so that a wakeup missed anywhere (it happened after simulated power cuts) costs
      // at most this long and never leaves a request or a shutdown waiting for ever.
      LockSupport.parkNanos(this, IDLE_PARK_NANOS);
    }
    sleeping.set(false);
  }

  private void takeRequests() {
    Request request;
    while ((request = inbox.poll()) != null) {
      if (failure != null && !(request instanceof Request.Shutdown)) {
        failRequest(request, failure);
        continue;
      }
      switch (request) {
        case Request.Logged logged -> waiting.add(logged);
        case Request.Read read -> reads.start(read, state, batchesInFlight);
        case Request.Flush flush -> flush(flush.done(), null);
        case Request.BlockStatus status -> blockStatus(status);
        case Request.ListVolumes list -> list.done().complete(listVolumes());
        case Request.Changes changes -> changes(changes);
        case Request.Status status -> status.done().complete(status());
        case Request.CheckpointWritten written -> checkpointWritten(written);
        case Request.VictimSearched searched -> cleaner.searched(searched);
        case Request.Shutdown down -> shutdown = down;
      }
    }
  }

  // ---- batches -------------------------------------------------------------------------------

  private void sealAndSubmitBatches() throws NativeIoException {
    while (true) {
      fillOpenBatch();
      fillColdBatch();
      // Each head has its own batches in flight, so the cleaner's writes do not take the client's
      // turns. Client data that needs a fresh segment goes before any cold batch that needs one
      // too: it entered its batch because a segment outside the reserve was free, and the cold
      // head, which may use the reserve, must not take that one. Otherwise the heads alternate.
      boolean clientNeedsSegment = !open.isEmpty() && !head.fits(open.totalBytes());
      boolean clientReady = !open.isEmpty() && head.batchesInFlight < config.batchesInFlightMax();
      boolean coldReady =
          !coldOpen.isEmpty()
              && coldHead.batchesInFlight < config.batchesInFlightMax()
              && (!clientNeedsSegment || coldHead.fits(coldOpen.totalBytes()));
      if (!clientReady && !coldReady) {
        return;
      }
      boolean cold = coldReady && (!clientReady || !coldWentLast);
      BatchBuffer batch = cold ? coldOpen : open;
      LogHead at = cold ? coldHead : head;
      if (!placeBatch(batch, at)) {
        if (batch.isEmpty() && (!waiting.isEmpty() || !cleaner.ready().isEmpty())) {
          continue; // The batch failed with ENOSPC: answer the requests behind it the same way.
        }
        return;
      }
      submitBatch(batch, at);
      coldWentLast = cold;
    }
  }

  /**
   * Moves waiting requests, in order, into the client head's open batch as far as they fit.
   * Requests that take log space enter only when the batch is sure to find room outside the
   * reserve, so a batch never holds client data that only the reserve could take.
   */
  private void fillOpenBatch() {
    if (failure != null) {
      return;
    }
    if (open.mayUseReserve) {
      open.limitDataSectors(Long.MAX_VALUE); // No client data yet: the batch may go anywhere.
    }
    if (movesHead == head && !fillFrom(cleaner.ready(), open, true)) {
      return; // Moves go first; with no cold head, they share the client's batch.
    }
    boolean mayGrow = clientRoomAssured();
    while (fillFrom(waiting, open, mayGrow)
        && !mayGrow
        && !waiting.isEmpty()
        && noRoomForClients()) {
      // Requests that needed space were answered with ENOSPC; those behind them may need none.
    }
  }

  /**
   * Moves the cleaner's relocations into the cold head's open batch as far as they fit. A batch
   * that starts while the next relocation fits in the rest of the cold head's segment is capped to
   * that rest, so cold segments are filled to within a chunk of their end.
   */
  private void fillColdBatch() {
    if (failure != null || movesHead != coldHead) {
      return;
    }
    Request.Relocate next = cleaner.ready().peek();
    if (coldOpen.isEmpty() && next != null) {
      long roomSectors = coldHead.dataSectorsFitting(COLD_HEADER_BYTES);
      boolean nextFits = roomSectors >= next.data.byteSize() / Bytes.SECTOR_BYTES;
      coldOpen.limitDataSectors(nextFits ? roomSectors : Long.MAX_VALUE);
    }
    fillFrom(cleaner.ready(), coldOpen, true);
  }

  /** Returns false when {@code batch} has no room for more. */
  private boolean fillFrom(
      Deque<? extends Request.Logged> queue, BatchBuffer batch, boolean mayGrow) {
    while (!queue.isEmpty() && batch.hasRoomForEntry()) {
      Request.Logged request = queue.peek();
      // Refused first: a write to a snapshot is EPERM whether or not the log has room.
      StoreException refused = refusal(request);
      if (refused != null) {
        queue.poll();
        completeFailed(request, refused);
        continue;
      }
      if (!mayGrow && takesSpace(request)) {
        return true;
      }
      if (!addPart(batch, request)) {
        return false;
      }
      // A request enters a batch at most once: a part that does not fit waits for the next.
      batch.members.add(request);
      request.partsInFlight++;
      if (request.fullyAdded) {
        queue.poll();
      } else {
        return false;
      }
    }
    return batch.hasRoomForEntry();
  }

  /** Whether a request keeps log space: trims, deletes and relocations do not. */
  private static boolean takesSpace(Request.Logged request) {
    return !(request instanceof Request.Range
        || request instanceof Request.DeleteVolume
        || request instanceof Request.Relocate);
  }

  /**
   * Whether client data may enter the open batch: it must find room outside the reserve. With a
   * free segment beyond the reserve any batch does; without one, the batch is capped to what the
   * rest of the head segment can take, and clients wait when that is nothing.
   */
  private boolean clientRoomAssured() {
    if (moreReusableThanTheReserve()) {
      open.limitDataSectors(Long.MAX_VALUE);
      return true;
    }
    long headerWorstBytes =
        (long) BatchHeader.blocksFor(config.batchEntriesMax()) * Bytes.BLOCK_BYTES;
    long sectors = head.dataSectorsFitting(headerWorstBytes);
    open.limitDataSectors(sectors);
    return sectors > 0 && open.freeDataSectors() > 0;
  }

  /**
   * Whether more segments than {@link #RESERVE_SEGMENTS} are free for a head. Runs before every
   * batch, so it first checks the segments it found last time and scans the log (thousands of
   * segments on a large device) only when one of them was taken.
   */
  private boolean moreReusableThanTheReserve() {
    if (segments.unreferencedSegments() - unreferencedHeads() <= RESERVE_SEGMENTS) {
      return false; // Reusable segments are unreferenced ones: not enough of those either.
    }
    long floor = reuseFloor();
    int reusable = 0;
    for (int hint : reusableHints) {
      if (hint >= 0 && isFreeForHead(hint, floor)) {
        reusable++;
      }
    }
    if (reusable == reusableHints.length) {
      return true;
    }
    reusable = 0;
    for (int s = 0; s < segments.segmentCount(); s++) {
      if (isFreeForHead(s, floor)) {
        reusableHints[reusable++] = s;
        if (reusable == reusableHints.length) {
          return true;
        }
      }
    }
    Arrays.fill(reusableHints, reusable, reusableHints.length, -1);
    return false;
  }

  private boolean isFreeForHead(int segment, long floor) {
    return !isHead(segment)
        && !cleaner.isCleaning(segment)
        && !reads.isReading(segment)
        && segments.isReusable(segment, floor, durableSequence);
  }

  /**
   * Client data waits for room. It keeps waiting while space is coming (segments that wait only for
   * checkpoints, or a segment the cleaner can empty); otherwise the requests at the head of the
   * queue that need space fail with ENOSPC, and this returns true.
   */
  private boolean noRoomForClients() {
    long floor = reuseFloor();
    boolean awaitingCheckpoint = false;
    for (int s = 0; s < segments.segmentCount(); s++) {
      if (isHead(s) || segments.liveSectors(s) != 0) {
        continue;
      }
      if (segments.awaitsDurableRelease(s, durableSequence)) {
        releaseWanted = segments.latestRelease(); // The next datasync frees it.
        return false;
      }
      boolean reusable = segments.isReusable(s, floor, durableSequence);
      if (reusable && reads.isReading(s)) {
        return false; // Free once the reads of its old contents are done.
      }
      awaitingCheckpoint |= !reusable;
    }
    // A checkpoint that failed with nothing written since would fail again: do not wait on one.
    if (awaitingCheckpoint && checkpointFailedBefore != nextSequence) {
      if (checkpointsWanted == 0 && checkpointPending == null && !checkpointWriting) {
        checkpointsWanted = 1;
      }
      return false;
    }
    if (shutdown == null && cleaner.couldFreeForClients(RESERVE_SEGMENTS) && cleanUrgently()) {
      return false;
    }
    StoreException full = logFull();
    if (!waiting.isEmpty() && takesSpace(waiting.peek())) {
      reportFull(full);
    }
    while (!waiting.isEmpty() && takesSpace(waiting.peek())) {
      Request.Logged request = waiting.peek();
      if (request.partsInFlight > 0) {
        failMember(request, full);
      } else {
        waiting.poll();
        completeFailed(request, full);
      }
    }
    return true;
  }

  /** Says in the store's log, once until writes are taken again, that clients get ENOSPC. */
  private void reportFull(StoreException full) {
    if (!fullReported) {
      LOG.log(Level.WARNING, "{0}; until then writes get ENOSPC", full.getMessage());
      fullReported = true;
    }
  }

  private StoreException logFull() {
    return new StoreException(
        Errno.ENOSPC,
        "the log is full: no free segment among "
            + segments.segmentCount()
            + " (live data "
            + segments.totalLiveSectors() * Bytes.SECTOR_BYTES
            + " bytes) and nothing the cleaner can win back; trim or delete data to free space");
  }

  private long reuseFloor() {
    return Math.min(slotNextSequence[0], slotNextSequence[1]);
  }

  /** Adds as much of {@code request} to {@code batch} as fits; returns false when nothing fit. */
  private boolean addPart(BatchBuffer batch, Request.Logged request) {
    switch (request) {
      case Request.Write write -> {
        long remaining = write.data.byteSize() / Bytes.SECTOR_BYTES - write.addedSectors;
        long sectors = Math.min(remaining, batch.freeDataSectors());
        if (sectors == 0) {
          return false;
        }
        batch.addWrite(
            write.volumeId,
            write.startSector + write.addedSectors,
            write.data.asSlice(write.addedSectors * Bytes.SECTOR_BYTES),
            sectors);
        write.addedSectors += sectors;
        clientBytesWritten += sectors * Bytes.SECTOR_BYTES;
        write.fullyAdded = write.addedSectors * Bytes.SECTOR_BYTES == write.data.byteSize();
        if (fullReported && write.fullyAdded) {
          // Only a whole write: the first parts of one that then finds no room do not count.
          LOG.log(Level.INFO, "the log has room for writes again");
          fullReported = false;
        }
      }
      case Request.Range range -> {
        batch.addRange(range.type, range.volumeId, range.startSector, range.sectorCount);
        range.fullyAdded = true;
      }
      case Request.CreateVolume create -> {
        byte[] name = create.name.getBytes(StandardCharsets.UTF_8);
        if (batch.freeDataSectors() * Bytes.SECTOR_BYTES < name.length) {
          return false;
        }
        create.volumeId = state.allocateVolumeId();
        batch.addCreate(create.volumeId, name, create.sizeBytes);
        create.fullyAdded = true;
      }
      case Request.ResizeVolume resize -> {
        batch.addResize(resize.volumeId, resize.sizeBytes);
        resize.fullyAdded = true;
      }
      case Request.DeleteVolume delete -> {
        batch.addDelete(delete.volumeId);
        delete.fullyAdded = true;
      }
      case Request.Snapshot snapshot -> {
        long nameSectors = 0;
        for (String name : snapshot.names) {
          nameSectors += sectorsFor(name);
        }
        if (batch.freeEntries() < snapshot.names.size() || batch.freeDataSectors() < nameSectors) {
          return false;
        }
        for (int i = 0; i < snapshot.sourceIds.length; i++) {
          int source = snapshot.sourceIds[i];
          snapshot.snapshotIds[i] = state.allocateVolumeId();
          batch.addShared(
              EntryType.SNAPSHOT,
              snapshot.snapshotIds[i],
              snapshot.names.get(i).getBytes(StandardCharsets.UTF_8),
              source,
              sizeAsQueued(source));
        }
        snapshot.fullyAdded = true;
      }
      case Request.Clone clone -> {
        if (batch.freeDataSectors() < sectorsFor(clone.name)) {
          return false;
        }
        clone.volumeId = state.allocateVolumeId();
        batch.addShared(
            EntryType.CLONE,
            clone.volumeId,
            clone.name.getBytes(StandardCharsets.UTF_8),
            clone.snapshotId,
            sizeAsQueued(clone.snapshotId));
        clone.fullyAdded = true;
      }
      case Request.Relocate relocate -> {
        if (batch.freeEntries() < relocate.pieces.size()
            || batch.freeDataSectors() < relocate.data.byteSize() / Bytes.SECTOR_BYTES) {
          return false;
        }
        batch.addRelocation(relocate.data, relocate.address, relocate.pieces);
        cleanerBytesWritten += relocate.data.byteSize();
        relocate.fullyAdded = true;
      }
    }
    return true;
  }

  private static long sectorsFor(String name) {
    int bytes = name.getBytes(StandardCharsets.UTF_8).length;
    return (bytes + Bytes.SECTOR_BYTES - 1) / Bytes.SECTOR_BYTES;
  }

  /** Why a request cannot go into the log now, checked against the state it will meet. */
  private StoreException refusal(Request.Logged request) {
    return switch (request) {
      case Request.Write write ->
          write.addedSectors > 0
              ? null
              : isSnapshot(write.volumeId)
                  ? readOnly(write.volumeId)
                  : checkRange(
                      write.volumeId,
                      write.startSector,
                      write.data.byteSize() / Bytes.SECTOR_BYTES,
                      true);
      case Request.Range range ->
          isSnapshot(range.volumeId)
              ? readOnly(range.volumeId)
              : checkRange(range.volumeId, range.startSector, range.sectorCount, false);
      case Request.CreateVolume create -> nameTaken(create.name);
      case Request.Snapshot snapshot -> {
        for (int i = 0; i < snapshot.sourceIds.length; i++) {
          int source = snapshot.sourceIds[i];
          if (sizeAsQueued(source) < 0) {
            yield noVolume(source);
          }
          if (isSnapshot(source)) {
            yield new StoreException(
                Errno.EINVAL, "'" + state.volume(source).name() + "' is a snapshot already");
          }
          StoreException taken = nameTaken(snapshot.names.get(i));
          if (taken != null) {
            yield taken;
          }
        }
        yield null;
      }
      case Request.Clone clone -> {
        if (sizeAsQueued(clone.snapshotId) < 0) {
          yield noVolume(clone.snapshotId);
        }
        if (!isSnapshot(clone.snapshotId)) {
          yield new StoreException(Errno.EINVAL, "clones start from a snapshot");
        }
        yield nameTaken(clone.name);
      }
      case Request.Relocate relocate -> null;
      case Request.ResizeVolume resize -> {
        long size = sizeAsQueued(resize.volumeId);
        if (size < 0) {
          yield noVolume(resize.volumeId);
        }
        if (isSnapshot(resize.volumeId)) {
          yield readOnly(resize.volumeId);
        }
        yield resize.sizeBytes < size
            ? new StoreException(
                Errno.EINVAL,
                "volumes only grow: " + resize.sizeBytes + " bytes is less than " + size)
            : null;
      }
      case Request.DeleteVolume delete ->
          sizeAsQueued(delete.volumeId) < 0 ? noVolume(delete.volumeId) : null;
    };
  }

  private StoreException checkRange(
      int volumeId, long startSector, long sectorCount, boolean grows) {
    long size = sizeAsQueued(volumeId);
    if (size < 0) {
      return noVolume(volumeId);
    }
    if (startSector < 0 || startSector + sectorCount > size / Bytes.SECTOR_BYTES) {
      return new StoreException(
          Errno.EINVAL,
          "sectors "
              + startSector
              + "+"
              + sectorCount
              + " lie outside the volume of "
              + size
              + " bytes");
    }
    if (grows && state.extentCount() >= config.mapExtentsMax()) {
      return new StoreException(
          Errno.ENOSPC,
          "the volume maps hold "
              + state.extentCount()
              + " extents, the limit set by mapExtentsMax="
              + config.mapExtentsMax()
              + " (by default half of the JVM's maximum heap at "
              + StoreConfiguration.MAP_BYTES_PER_EXTENT
              + " bytes each: a larger -Xmx raises it)");
    }
    return null;
  }

  private long sizeAsQueued(int volumeId) {
    Long queued = open.sizesAfter.get(volumeId);
    if (queued != null) {
      return queued;
    }
    VolumeState volume = state.volume(volumeId);
    return volume == null ? -1 : volume.sizeBytes();
  }

  private StoreException nameTaken(String name) {
    VolumeState existing = state.volume(name);
    if (open.namesAdded.contains(name) || existing != null && sizeAsQueued(existing.id()) >= 0) {
      return new StoreException(Errno.EEXIST, "the name '" + name + "' is taken");
    }
    return null;
  }

  private boolean isSnapshot(int volumeId) {
    VolumeState volume = state.volume(volumeId);
    return volume != null && volume.isSnapshot();
  }

  private StoreException readOnly(int volumeId) {
    return new StoreException(
        Errno.EPERM, "'" + state.volume(volumeId).name() + "' is a snapshot: read-only");
  }

  private static StoreException noVolume(int volumeId) {
    return new StoreException(
        Errno.ENOENT, "the volume or snapshot of id " + volumeId + " has been deleted");
  }

  /**
   * Gives an open batch its place at its head, moving the head to a free segment when the batch
   * does not fit in the current one. Without room anywhere its requests fail with ENOSPC.
   */
  private boolean placeBatch(BatchBuffer batch, LogHead at) {
    if (at.fits(batch.totalBytes())) {
      return true;
    }
    int next = freeSegment(batch.mayUseReserve);
    if (next == -2) {
      return false; // A pre-write is finishing in the segment we need; try again shortly.
    }
    if (next < 0) {
      StoreException full = logFull();
      if (batch.members.stream().anyMatch(StorageLoop::takesSpace)) {
        reportFull(full);
      }
      for (Request.Logged member : batch.members) {
        member.partsInFlight--;
        failMember(member, full);
      }
      batch.reset();
      checkpointsWanted = 2;
      return false;
    }
    // What clients read of the segment's old contents: the head's direct writes would otherwise
    // have to wait for the kernel to drop it, on a kernel worker (ADR 0012).
    engine.dropCachedPages(layout.logReader(), layout.byteOffsetOf(next, 0), segmentBytes);
    at.moveTo(next);
    return true;
  }

  /** Whether a head writes into {@code segment}: it is neither free nor a cleaning victim. */
  private boolean isHead(int segment) {
    return head.isIn(segment) || coldHead.isIn(segment);
  }

  /**
   * A segment the head may move to, or -1. Client data leaves {@link #RESERVE_SEGMENTS} free so
   * that the cleaner, trims and deletes, which free space, can always be logged.
   */
  private int freeSegment(boolean mayUseReserve) {
    long floor = reuseFloor();
    int best = -1;
    int free = 0;
    for (int s = 0; s < segments.segmentCount(); s++) {
      if (!isFreeForHead(s, floor)) {
        continue;
      }
      free++;
      if (s == prewriteSegment && prewriteInFlight) {
        continue;
      }
      if (best < 0 || betterHead(s, best)) {
        best = s;
      }
    }
    int reserve = mayUseReserve ? 0 : RESERVE_SEGMENTS;
    if (best < 0 || free <= reserve) {
      // The only free segment may be one whose pre-write is finishing: wait for it.
      return free > reserve ? -2 : -1;
    }
    if (best == prewriteSegment) {
      prewriteSegment = -1;
    }
    return best;
  }

  /** Pre-written segments first (overwrites are fastest), then the longest unused. */
  private boolean betterHead(int candidate, int best) {
    boolean candidateReady = segments.isPrewritten(candidate);
    boolean bestReady = segments.isPrewritten(best);
    if (candidateReady != bestReady) {
      return candidateReady;
    }
    return segments.lastWritten(candidate) < segments.lastWritten(best);
  }

  private void submitBatch(BatchBuffer batch, LogHead at) throws NativeIoException {
    long sequence = nextSequence++;
    batch.seal(storeId, sequence, epoch, at.cold);
    batch.segment = at.segment();
    batch.offsetBytes = at.offsetBytes();
    long headerBytes = batch.headerBytes();
    batch.dataAddress =
        ((long) batch.segment * segmentBytes + batch.offsetBytes + headerBytes)
            / Bytes.SECTOR_BYTES;
    MemorySegment header = batch.header.asSlice(0, headerBytes);
    MemorySegment data = batch.data.asSlice(0, batch.dataBytesPadded());

    BatchApplier applier = new BatchApplier(state);
    String problem = applier.check(header, data);
    if (problem != null) {
      throw new IllegalStateException("built an invalid batch " + sequence + ": " + problem);
    }
    long offset = layout.byteOffsetOf(batch.segment, batch.offsetBytes);
    batch.durable = writesDurably(batch, at);
    requirePrepared(
        batch.durable
            ? engine.prepareDurableWrite(
                layout.log().file(), offset, batch.image(), BATCH | batch.slot)
            : engine.prepareWrite(layout.log().file(), offset, batch.image(), BATCH | batch.slot));
    // The device starts on the batch while this thread updates the maps; nothing reads them
    // before this method returns, and completions are only taken later.
    engine.submit();
    applier.apply(header, data, batch.dataAddress);
    segments.recordBatch(batch.segment, sequence);
    for (Request.Logged member : batch.members) {
      member.lastSequence = sequence;
    }
    at.advance(batch.totalBytes());
    at.batchesInFlight++;
    batch.head = at;
    if (at.roomBytes() < BATCH_BYTES_MIN) {
      // Nothing more fits: the segment is an ordinary one now, which the cleaner may choose.
      at.leave();
    }
    bytesSinceCheckpoint += batch.totalBytes();
    logBytesWritten += batch.totalBytes();
    batchesInFlight.addLast(batch);
    BatchBuffer next = freeBatches.poll();
    if (next == null) {
      throw new IllegalStateException("no free batch buffer");
    }
    if (at.cold) {
      coldOpen = next;
    } else {
      open = next;
    }
  }

  /**
   * Whether a client batch is written durably (RWF_DSYNC), which saves the flush after it a
   * datasync and both hand-offs to this thread. Only a batch alone on the device, with every batch
   * before it durable, and only when a client waits for its durability: a FUA member, or a writer
   * that flushed before this batch and before the last one (queue depth 1, a flush after each
   * write, as fio's fsync=1 or a guest's journal). A writer that flushes less often keeps plain
   * writes and shared datasyncs, so no batch pays a device flush nobody asked for.
   */
  private boolean writesDurably(BatchBuffer batch, LogHead at) {
    if (at.cold) {
      return false;
    }
    long asked = flushesAsked.get();
    boolean flushedBeforeThis = asked != flushesAskedBeforeLastBatch;
    boolean flushedBeforeLast = flushFollowedLastBatch;
    flushesAskedBeforeLastBatch = asked;
    flushFollowedLastBatch = flushedBeforeThis;
    boolean alone =
        batchesInFlight.isEmpty() && !datasyncInFlight && durableSequence == batch.sequence - 1;
    return alone && ((flushedBeforeThis && flushedBeforeLast) || batch.hasFuaMember());
  }

  private void batchWritten(BatchBuffer batch, int result) {
    if (result < 0 || result != batch.totalBytes()) {
      fail(
          new StoreException(
              Errno.EIO,
              "writing batch "
                  + batch.sequence
                  + " at segment "
                  + batch.segment
                  + " offset "
                  + batch.offsetBytes
                  + " failed: "
                  + (result < 0 ? Errno.nameOf(-result) : "short write of " + result)));
      return;
    }
    batch.written = true;
    // Batches complete in sequence order, so an acknowledged write never depends on a later one.
    while (!batchesInFlight.isEmpty() && batchesInFlight.peekFirst().written) {
      BatchBuffer done = batchesInFlight.pollFirst();
      done.head.batchesInFlight--;
      completedSequence = done.sequence;
      if (done.durable && durableSequence == done.sequence - 1) {
        becameDurable(done.sequence);
      } else {
        publishDurability();
      }
      for (Request.Logged member : done.members) {
        if (--member.partsInFlight == 0 && member.fullyAdded) {
          if (member.fua && done.sequence > durableSequence) {
            flushWaiters.add(new FlushWaiters.Waiter(done.sequence, member.done, member));
          } else {
            completeMember(member);
          }
        }
      }
      done.reset();
      freeBatches.add(done);
    }
  }

  private static void requirePrepared(boolean prepared) {
    if (!prepared) {
      throw new IllegalStateException("the engine's queue is full; queueDepth is too small");
    }
  }

  // ---- cleaning ------------------------------------------------------------------------------

  private void clean() {
    if (failure == null && shutdown == null) {
      cleanerStep(false);
    }
  }

  /** Clients wait for space: cleans at once if that can win any; returns whether it can. */
  private boolean cleanUrgently() {
    return cleanerStep(true);
  }

  private boolean cleanerStep(boolean urgent) {
    // Runs every pass: the free count is kept by the segment table, the room is counted only
    // when a cycle is to start.
    int free = segments.unreferencedSegments() - unreferencedHeads();
    return cleaner.step(
        free,
        this::cleanerRoomBytes,
        RESERVE_SEGMENTS,
        isHead,
        completedSequence,
        reuseFloor(),
        reads,
        urgent);
  }

  /** Head segments that no map references yet: they are not free. */
  private int unreferencedHeads() {
    return (isUnreferenced(head) ? 1 : 0) + (isUnreferenced(coldHead) ? 1 : 0);
  }

  private boolean isUnreferenced(LogHead at) {
    return at.segment() >= 0 && segments.liveSectors(at.segment()) == 0;
  }

  /** Log bytes that moves could take now: reusable segments and the rest of their head's. */
  private long cleanerRoomBytes() {
    long floor = reuseFloor();
    long room = movesHead.roomBytes();
    for (int s = 0; s < segments.segmentCount(); s++) {
      if (isFreeForHead(s, floor)) {
        room += segmentBytes;
      }
    }
    return room;
  }

  // ---- flushes -------------------------------------------------------------------------------

  /**
   * A flush, from any thread: completes when every write completed before it is durable (on every
   * volume). When that is so already, it completes at once on the caller's thread, without a
   * hand-off to this one.
   */
  public CompletableFuture<Void> requestFlush() {
    flushesAsked.incrementAndGet();
    if (completedAreDurable) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    submit(new Request.Flush(done));
    return done;
  }

  private void publishDurability() {
    completedAreDurable = failure == null && !stopped && completedSequence <= durableSequence;
  }

  private void flush(CompletableFuture<Void> done, Request.Logged request) {
    if (completedSequence <= durableSequence) {
      done.complete(null);
      return;
    }
    flushWaiters.add(new FlushWaiters.Waiter(completedSequence, done, request));
  }

  private void startDatasyncIfNeeded() throws NativeIoException {
    if (datasyncInFlight || failure != null || completedSequence <= durableSequence) {
      return;
    }
    long wanted = flushWaiters.oldestRequired();
    boolean checkpointNeeds = checkpointPending != null;
    if (wanted < 0 && !checkpointNeeds && !spaceAwaitsDatasync()) {
      return;
    }
    requirePrepared(engine.prepareDatasync(layout.log().file(), DATASYNC));
    datasyncInFlight = true;
    datasyncCovers = completedSequence;
  }

  /**
   * Whether free segments are few and some wait only for the batch that released them to be
   * durable: a datasync then frees them without a checkpoint.
   */
  private boolean spaceAwaitsDatasync() {
    if (releaseWanted > durableSequence) {
      return true;
    }
    int free = segments.unreferencedSegments() - unreferencedHeads();
    return segments.latestRelease() > durableSequence
        && free < Cleaner.startThreshold(segments.segmentCount(), RESERVE_SEGMENTS);
  }

  private void datasyncDone(int result) {
    datasyncInFlight = false;
    if (result < 0) {
      fail(
          new StoreException(
              Errno.EIO,
              "fdatasync of the log failed: "
                  + Errno.nameOf(-result)
                  + "; flushed data may be lost, the store stops"));
      return;
    }
    becameDurable(datasyncCovers);
  }

  /** Every batch up to {@code sequence} is durable: answers the flushes that waited for it. */
  private void becameDurable(long sequence) {
    durableSequence = Math.max(durableSequence, sequence);
    publishDurability();
    cleaner.spaceMayBeFree();
    FlushWaiters.Waiter waiter;
    while ((waiter = flushWaiters.pollDurable(durableSequence)) != null) {
      if (waiter.request() != null) {
        completeMember(waiter.request());
      } else {
        waiter.future().complete(null);
      }
    }
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  private void startCheckpointIfDue() {
    if (failure != null || checkpointWriting) {
      return;
    }
    if (checkpointPending == null
        && (bytesSinceCheckpoint >= checkpointIntervalBytes() || checkpointsWanted > 0)
        && (bytesSinceCheckpoint > 0 || checkpointsWanted > 0)) {
      checkpointPending = image();
      bytesSinceCheckpoint = 0;
      checkpointsWanted = Math.max(0, checkpointsWanted - 1);
    }
    // A checkpoint may only name batches that are durable: its maps point into them.
    if (checkpointPending != null && durableSequence >= checkpointPending.nextBatchSequence() - 1) {
      CheckpointImage image = checkpointPending;
      checkpointPending = null;
      checkpointWriting = true;
      int slot = nextCheckpointSlot;
      checkpointer.writeInBackground(
          slot,
          image,
          (failed, bytes) -> submit(new Request.CheckpointWritten(slot, image, bytes, failed)));
    }
  }

  /**
   * Log bytes between regular checkpoints: the configured interval, or {@link
   * #LOG_BYTES_PER_CHECKPOINT_BYTE} times the last checkpoint once checkpoints grow larger than a
   * quarter of it, up to a {@link #CHECKPOINT_INTERVALS_PER_LOG}th of the log. A checkpoint holds
   * every map whole (24 bytes per extent, 480 MB at 20 million), so at a fixed interval large maps
   * would be written out again and again, more than the clients' own data. This way regular
   * checkpoints take at most a fifth of what goes to the disk while four of them fit in a sixteenth
   * of the log, and replay after a crash grows with the maps, as loading the checkpoint does.
   * Checkpoints forced because space runs short come whatever the interval.
   */
  private long checkpointIntervalBytes() {
    long logBytes = (long) segments.segmentCount() * segmentBytes;
    return Math.max(
        config.checkpointIntervalBytes(),
        Math.min(
            LOG_BYTES_PER_CHECKPOINT_BYTE * lastCheckpointBytes,
            logBytes / CHECKPOINT_INTERVALS_PER_LOG));
  }

  private CheckpointImage image() {
    return CheckpointImage.of(
        state,
        storeId,
        ++checkpointSequence,
        epoch,
        nextSequence,
        head.position(),
        coldHead.position());
  }

  private void checkpointWritten(Request.CheckpointWritten written) {
    checkpointWriting = false;
    if (written.failure() != null) {
      checkpointFailedBefore = written.image().nextBatchSequence();
      LOG.log(
          Level.WARNING,
          "checkpoint {0} failed, recovery will replay more of the log: {1}",
          written.image().checkpointSequence(),
          written.failure().getMessage());
      return;
    }
    slotNextSequence[written.slot()] = written.image().nextBatchSequence();
    checkpointsWritten++;
    checkpointBytesWritten += written.bytes();
    lastCheckpointBytes = written.bytes();
    cleaner.spaceMayBeFree();
    nextCheckpointSlot = 1 - written.slot();
  }

  // ---- pre-writing ---------------------------------------------------------------------------

  /**
   * Overwrites never-used segments with zeros ahead of the head, one chunk at a time and only while
   * nothing waits: on ext4, writing over written blocks is faster than writing into unwritten
   * extents, so the log's first pass runs at overwrite speed.
   */
  private void prewriteAhead() throws NativeIoException {
    if (layout.isDevice() || prewriteInFlight || prewriteFinished || failure != null) {
      return;
    }
    if (prewriteSegment < 0) {
      if (readySegments() >= PREWRITTEN_AHEAD) {
        return;
      }
      for (int s = 0; s < segments.segmentCount(); s++) {
        if (!isHead(s) && !segments.isPrewritten(s) && segments.lastWritten(s) == 0) {
          prewriteSegment = s;
          prewriteOffsetBytes = 0;
          break;
        }
      }
      if (prewriteSegment < 0) {
        // Every segment has been written once: nothing will ever need pre-writing again.
        prewriteFinished = readySegments() == 0 && allUsedOrPrewritten();
        return;
      }
    }
    long chunk = Math.min(PREWRITE_CHUNK_BYTES, segmentBytes - prewriteOffsetBytes);
    requirePrepared(
        engine.prepareWrite(
            layout.log().file(),
            layout.byteOffsetOf(prewriteSegment, prewriteOffsetBytes),
            zeros.asSlice(0, chunk),
            PREWRITE | prewriteSegment));
    prewriteInFlight = true;
  }

  private boolean allUsedOrPrewritten() {
    for (int s = 0; s < segments.segmentCount(); s++) {
      if (!segments.isPrewritten(s) && !isHead(s)) {
        return false;
      }
    }
    return true;
  }

  /** Never-used segments already pre-written, waiting for the head. */
  private int readySegments() {
    int ready = 0;
    for (int s = 0; s < segments.segmentCount(); s++) {
      if (!isHead(s) && segments.isPrewritten(s) && segments.lastWritten(s) == 0) {
        ready++;
      }
    }
    return ready;
  }

  private void prewriteDone(int segment, int result) {
    prewriteInFlight = false;
    if (segment != prewriteSegment) {
      return;
    }
    if (result <= 0) {
      LOG.log(Level.WARNING, "pre-writing segment {0} failed: {1}", segment, Errno.nameOf(-result));
      segments.markPrewritten(segment);
      prewriteSegment = -1;
      return;
    }
    prewriteOffsetBytes += result;
    if (prewriteOffsetBytes >= segmentBytes) {
      segments.markPrewritten(segment);
      prewriteSegment = -1;
    }
  }

  // ---- completions ---------------------------------------------------------------------------

  @Override
  public void onCompletion(long userData, int result) {
    long kind = userData & ~INDEX_MASK;
    int index = (int) (userData & INDEX_MASK);
    if (kind == BATCH) {
      batchWritten(batches[index], result);
    } else if (kind == READ) {
      reads.completed(index, result);
    } else if (kind == DATASYNC) {
      datasyncDone(result);
    } else if (kind == PREWRITE) {
      prewriteDone(index, result);
    } else {
      throw new IllegalStateException("completion with unknown user data " + userData);
    }
  }

  // ---- status and listing --------------------------------------------------------------------

  private void blockStatus(Request.BlockStatus status) {
    VolumeState volume = state.volume(status.volumeId());
    if (volume == null) {
      status.done().completeExceptionally(noVolume(status.volumeId()));
      return;
    }
    BlockStatusRuns runs = new BlockStatusRuns();
    volume
        .map()
        .forEach(
            status.startSector(),
            status.sectorCount(),
            (start, count, address) -> runs.add(count, address));
    status.done().complete(runs.runs());
  }

  private List<VolumeSummary> listVolumes() {
    List<VolumeSummary> list = new ArrayList<>();
    for (VolumeState volume : state.volumes()) {
      list.add(
          new VolumeSummary(
              volume.id(),
              volume.name(),
              volume.sizeBytes(),
              volume.map().extentCount(),
              volume.isSnapshot(),
              volume.originId()));
    }
    return list;
  }

  private void changes(Request.Changes changes) {
    VolumeState volume = state.volume(changes.volumeId());
    VolumeState base = state.volume(changes.baseId());
    if (volume == null || base == null) {
      changes
          .done()
          .completeExceptionally(noVolume(volume == null ? changes.volumeId() : changes.baseId()));
      return;
    }
    changes
        .done()
        .complete(
            ChangedBlocks.between(
                base.map(),
                base.sizeBytes() / Bytes.SECTOR_BYTES,
                volume.map(),
                changes.startSector(),
                changes.sectorCount()));
  }

  private StoreStatus status() {
    int free = 0;
    long live = 0;
    long used = 0;
    for (int s = 0; s < segments.segmentCount(); s++) {
      if (!isHead(s) && segments.liveSectors(s) == 0) {
        free++;
        continue;
      }
      live += segments.occupiedSectors(s) * Bytes.SECTOR_BYTES;
      used +=
          head.isIn(s)
              ? head.offsetBytes()
              : coldHead.isIn(s) ? coldHead.offsetBytes() : segmentBytes;
    }
    int snapshots = 0;
    for (VolumeState volume : state.volumes()) {
      snapshots += volume.isSnapshot() ? 1 : 0;
    }
    return new StoreStatus(
        (long) segments.segmentCount() * segmentBytes,
        segmentBytes,
        segments.segmentCount(),
        free,
        live,
        Math.max(0, used - live),
        clientBytesWritten,
        logBytesWritten,
        cleanerBytesWritten,
        checkpointsWritten,
        checkpointBytesWritten,
        state.volumes().size() - snapshots,
        snapshots);
  }

  // ---- completion and failure ----------------------------------------------------------------

  private void completeMember(Request.Logged member) {
    if (member.done.isDone()) {
      return;
    }
    release(member.admittedBytes);
    member.done.complete(null);
  }

  private void failMember(Request.Logged member, StoreException cause) {
    if (member.done.isDone()) {
      return;
    }
    waiting.remove(member);
    release(member.admittedBytes);
    member.done.completeExceptionally(cause);
  }

  private void completeFailed(Request.Logged request, StoreException cause) {
    release(request.admittedBytes);
    request.done.completeExceptionally(cause);
  }

  /** The log device failed: nothing more is written, every request fails with EIO. */
  private void fail(StoreException cause) {
    if (failure == null) {
      failure = cause;
      completedAreDurable = false;
      LOG.log(Level.ERROR, "the store stops writing: {0}", cause.getMessage());
      // Nothing waiting can succeed any more: answer it all now.
      failEverything();
    }
  }

  private void failEverything() {
    StoreException cause =
        failure != null ? failure : new StoreException(Errno.EIO, "the store is closed");
    for (BatchBuffer batch : batches) {
      for (Request.Logged member : batch.members) {
        failMember(member, cause);
      }
    }
    Request.Logged request;
    while ((request = waiting.poll()) != null) {
      completeFailed(request, cause);
    }
    while ((request = cleaner.ready().poll()) != null) {
      completeFailed(request, cause);
    }
    FlushWaiters.Waiter waiter;
    while ((waiter = flushWaiters.poll()) != null) {
      waiter.future().completeExceptionally(cause);
    }
    reads.failAll(cause);
    Request pending;
    while ((pending = inbox.poll()) != null) {
      failRequest(pending, cause);
    }
  }

  private void failRequest(Request request, StoreException cause) {
    switch (request) {
      case Request.Logged logged -> completeFailed(logged, cause);
      case Request.Read read -> read.done.completeExceptionally(cause);
      case Request.Flush flush -> flush.done().completeExceptionally(cause);
      case Request.BlockStatus status -> status.done().completeExceptionally(cause);
      case Request.ListVolumes list -> list.done().completeExceptionally(cause);
      case Request.Changes changes -> changes.done().completeExceptionally(cause);
      case Request.Status status -> status.done().completeExceptionally(cause);
      case Request.CheckpointWritten written -> checkpointWritten(written);
      case Request.VictimSearched searched -> {
        // Nothing waits for a search: the cleaner stopped with the store.
      }
      case Request.Shutdown down -> {
        // A shutdown is answered once the thread has really stopped, with the store's failure if
        // it had one: the final checkpoint was not written then.
        if (stopped) {
          answerShutdown(down);
        } else {
          shutdown = down;
        }
      }
    }
  }

  // ---- shutdown ------------------------------------------------------------------------------

  private boolean isQuiet() {
    if (failure != null) {
      // Batches whose write failed never complete; wait only for the I/O still in flight.
      return !checkpointWriting && engine.inFlight() == 0;
    }
    if (!waiting.isEmpty()
        || !open.isEmpty()
        || !coldOpen.isEmpty()
        || !batchesInFlight.isEmpty()
        || !reads.isIdle()
        || !cleaner.isIdle()) {
      return false;
    }
    if (checkpointWriting || prewriteInFlight || datasyncInFlight) {
      return false;
    }
    if (durableSequence < completedSequence) {
      // Make everything durable before the last checkpoint.
      flush(new CompletableFuture<>(), null);
      return false;
    }
    return checkpointPending == null;
  }

  private void finishShutdown() {
    stopped = true;
    completedAreDurable = false;
    try {
      if (failure == null) {
        checkpointer.write(nextCheckpointSlot, image());
      }
      answerShutdown(shutdown);
    } catch (NativeIoException | RuntimeException e) {
      shutdown.done().completeExceptionally(e);
    } finally {
      failEverything();
    }
  }

  private void answerShutdown(Request.Shutdown down) {
    if (failure == null) {
      down.done().complete(null);
    } else {
      down.done().completeExceptionally(failure);
    }
  }

  /**
   * Stops the thread at once, leaving requests unanswered and nothing more written: what a crash
   * looks like to the disk. The engine is left open, as a dead process leaves its I/O in flight.
   */
  public void abandon() {
    stopped = true;
    completedAreDurable = false;
    if (thread != null) {
      engine.wakeup();
      LockSupport.unpark(thread);
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Frees the loop's buffers; call after the thread stopped. */
  public void release() {
    cleaner.close();
    arena.close();
  }

  public Thread thread() {
    return thread;
  }
}
