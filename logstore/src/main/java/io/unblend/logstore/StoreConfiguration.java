package io.unblend.logstore;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.log.BatchHeader;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoEngines;
import io.unblend.nativeio.NativeIoConfiguration;
import io.unblend.nativeio.NativeIoException;

/**
 * Every setting of a store, each with a limit, validated at once: a bad value fails with a message
 * that names the setting and what it accepts.
 *
 * @param location the data directory or block device
 * @param createIfMissing format a new store when the location holds none (a device is formatted
 *     only when this is set and it has no superblock)
 * @param logBytes the log capacity of a new store (a device: its whole size when 0)
 * @param segmentBytes the size of one log segment, a multiple of 4 KiB (default 64 MiB)
 * @param checkpointSlotBytes the size of each checkpoint slot on a device (default 1/32 of it)
 * @param queueDepth I/O operations in flight on the storage thread's engine
 * @param batchBytesMax data bytes in one batch (default 1 MiB); a larger write gets a batch of its
 *     own
 * @param batchEntriesMax entries in one batch (at most {@link BatchHeader#MAX_ENTRIES})
 * @param batchesInFlightMax batches written concurrently at each head (the client head and the
 *     cleaner's cold head); writes that arrive meanwhile form the next batch, so no write waits
 *     longer than this many batch writes of each head before its own starts
 * @param inFlightBytesMax write bytes accepted but not completed; callers block beyond it
 * @param requestBytesMax the largest single read or write; writes larger than a batch are split
 *     over several batches (default 32 MiB)
 * @param readsInFlightMax log reads in flight on the storage thread; more queue (default 64, or
 *     what a smaller queueDepth leaves). The engine's queue must also hold the batches of both
 *     heads, a datasync and a pre-write: readsInFlightMax + 2 x batchesInFlightMax + 2 at most
 *     queueDepth
 * @param checkpointIntervalBytes log bytes written between background checkpoints, at least: once
 *     checkpoints are larger than a quarter of it, four times their size (up to 1/16 of the log)
 * @param cleanerInFlightBytes bytes of live data the cleaner moves at a time while free segments
 *     are merely few; four times as many when they fall to half its start threshold (default 2 MiB)
 * @param cleanerInlineSearchExtents the most extents, over all maps, that the cleaner searches for
 *     a segment's live data on the storage thread (about 1.4 ms per 100 000); beyond it the search
 *     runs on the cleaner's own thread over frozen copies of the maps, so that it never pauses
 *     client I/O for longer (default 2^16, 0: always on the cleaner's thread)
 * @param mapExtentsMax extents over all volume maps (about 31 heap bytes each under random writes,
 *     {@link #MAP_BYTES_PER_EXTENT} budgeted); writes that would need more fail with ENOSPC. The
 *     default ({@link #defaultMapExtentsMax}) lets the maps take half of the JVM's maximum heap,
 *     and at most 20 million extents, so that a server on a small host answers ENOSPC before it
 *     runs out of memory
 * @param locking take the store's lock (and create the directory); off only for simulated disks
 * @param engines how the store opens I/O engines (one for the storage thread, one for the
 *     checkpointer)
 */
public record StoreConfiguration(
    StoreLocation location,
    boolean createIfMissing,
    long logBytes,
    int segmentBytes,
    long checkpointSlotBytes,
    int queueDepth,
    int batchBytesMax,
    int batchEntriesMax,
    int batchesInFlightMax,
    long inFlightBytesMax,
    int requestBytesMax,
    int readsInFlightMax,
    long checkpointIntervalBytes,
    long cleanerInFlightBytes,
    long cleanerInlineSearchExtents,
    long mapExtentsMax,
    boolean locking,
    EngineFactory engines) {

  /**
   * The reads the engine's queue has room for beside the batches of both heads, a datasync and a
   * pre-write.
   */
  private static int readsRoom(int queueDepth, int batchesInFlightMax) {
    return queueDepth - 2 * batchesInFlightMax - 2;
  }

  /** The reads in flight when none are given: 64, or what a smaller queue leaves. */
  private static int defaultReadsInFlightMax(int queueDepth, int batchesInFlightMax) {
    return Math.max(1, Math.min(64, readsRoom(queueDepth, batchesInFlightMax)));
  }

  /** Opens an I/O engine; the simulated disk's tests give their own. */
  @FunctionalInterface
  public interface EngineFactory {
    IoEngine open(int queueDepth) throws NativeIoException;
  }

  public StoreConfiguration {
    require(location != null, "location", location, "a data directory or a device");
    require(
        logBytes >= 0 && logBytes % Bytes.BLOCK_BYTES == 0,
        "logBytes",
        logBytes,
        "a multiple of 4096 (0 on a device: all of it)");
    require(
        segmentBytes >= 64 * 1024 && segmentBytes % Bytes.BLOCK_BYTES == 0,
        "segmentBytes",
        segmentBytes,
        "a multiple of 4096, at least 64 KiB");
    require(
        checkpointSlotBytes >= 0 && checkpointSlotBytes % Bytes.BLOCK_BYTES == 0,
        "checkpointSlotBytes",
        checkpointSlotBytes,
        "a multiple of 4096 (0: 1/32 of the device)");
    require(queueDepth >= 8 && queueDepth <= 4096, "queueDepth", queueDepth, "8 to 4096");
    require(
        batchBytesMax >= Bytes.BLOCK_BYTES
            && batchBytesMax % Bytes.BLOCK_BYTES == 0
            && batchBytesMax <= segmentBytes / 2
            && batchBytesMax <= BATCH_BYTES_LIMIT,
        "batchBytesMax",
        batchBytesMax,
        "a multiple of 4096, at most half a segment and at most " + BATCH_BYTES_LIMIT);
    require(
        batchEntriesMax >= 1 && batchEntriesMax <= BatchHeader.MAX_ENTRIES,
        "batchEntriesMax",
        batchEntriesMax,
        "1 to " + BatchHeader.MAX_ENTRIES);
    require(
        batchesInFlightMax >= 1 && batchesInFlightMax <= 8,
        "batchesInFlightMax",
        batchesInFlightMax,
        "1 to 8");
    require(
        requestBytesMax >= Bytes.BLOCK_BYTES
            && requestBytesMax % Bytes.BLOCK_BYTES == 0
            && requestBytesMax <= IoEngine.MAX_TRANSFER_BYTES,
        "requestBytesMax",
        requestBytesMax,
        "a multiple of 4096, at most " + IoEngine.MAX_TRANSFER_BYTES);
    require(
        inFlightBytesMax >= requestBytesMax,
        "inFlightBytesMax",
        inFlightBytesMax,
        "at least requestBytesMax (" + requestBytesMax + ")");
    require(
        readsInFlightMax >= 1 && readsInFlightMax <= readsRoom(queueDepth, batchesInFlightMax),
        "readsInFlightMax",
        readsInFlightMax,
        "1 to queueDepth - 2 x batchesInFlightMax - 2 ("
            + readsRoom(queueDepth, batchesInFlightMax)
            + "): the engine's queue must also hold the writes of both heads");
    require(
        checkpointIntervalBytes >= segmentBytes,
        "checkpointIntervalBytes",
        checkpointIntervalBytes,
        "at least one segment (" + segmentBytes + ")");
    require(
        cleanerInFlightBytes >= Bytes.BLOCK_BYTES && cleanerInFlightBytes <= 1L << 30,
        "cleanerInFlightBytes",
        cleanerInFlightBytes,
        "4 KiB to 1 GiB");
    require(
        cleanerInlineSearchExtents >= 0,
        "cleanerInlineSearchExtents",
        cleanerInlineSearchExtents,
        "0 or more");
    require(mapExtentsMax >= 1024, "mapExtentsMax", mapExtentsMax, "at least 1024");
    require(engines != null, "engines", engines, "an engine factory");
  }

  /**
   * The largest data area of a batch: with its largest header, a batch is written in one operation,
   * which the I/O engine limits.
   */
  private static final int BATCH_BYTES_LIMIT =
      IoEngine.MAX_TRANSFER_BYTES - BatchHeader.MAX_BLOCKS * Bytes.BLOCK_BYTES;

  /**
   * Heap bytes budgeted per extent in a map: about 31 are used under random writes and 22 as
   * rebuilt from a checkpoint (ADR 0010). A leaf takes about 1.4 KB, so one that trims left at its
   * minimum of 16 extents costs 86 bytes each: at this budget even maps of such leaves stay within
   * the heap.
   */
  public static final int MAP_BYTES_PER_EXTENT = 64;

  /**
   * The default of {@code mapExtentsMax}: as many extents as half of the JVM's maximum heap holds,
   * at most 20 million (a checkpoint of that many takes about half a gigabyte).
   */
  public static long defaultMapExtentsMax() {
    long heapHalf = Runtime.getRuntime().maxMemory() / 2;
    return Math.clamp(heapHalf / MAP_BYTES_PER_EXTENT, 1024, 20_000_000);
  }

  /** The defaults for a data directory or device: 1 GiB log, 64 MiB segments. */
  public static Builder at(StoreLocation location) {
    return new Builder(location);
  }

  /** A builder that starts from this configuration. */
  public Builder toBuilder() {
    Builder builder = new Builder(location);
    builder.createIfMissing = createIfMissing;
    builder.logBytes = logBytes;
    builder.segmentBytes = segmentBytes;
    builder.checkpointSlotBytes = checkpointSlotBytes;
    builder.queueDepth = queueDepth;
    builder.batchBytesMax = batchBytesMax;
    builder.batchEntriesMax = batchEntriesMax;
    builder.batchesInFlightMax = batchesInFlightMax;
    builder.inFlightBytesMax = inFlightBytesMax;
    builder.requestBytesMax = requestBytesMax;
    // A default stays a default, so that a builder given a smaller queue depth derives it anew.
    builder.readsInFlightMax =
        readsInFlightMax == defaultReadsInFlightMax(queueDepth, batchesInFlightMax)
            ? 0
            : readsInFlightMax;
    builder.checkpointIntervalBytes = checkpointIntervalBytes;
    builder.cleanerInFlightBytes = cleanerInFlightBytes;
    builder.cleanerInlineSearchExtents = cleanerInlineSearchExtents;
    builder.mapExtentsMax = mapExtentsMax;
    builder.locking = locking;
    builder.engines = engines;
    return builder;
  }

  private static void require(boolean valid, String setting, Object value, String accepted) {
    if (!valid) {
      throw new IllegalArgumentException(
          "store setting " + setting + "=" + value + " is not valid; use " + accepted);
    }
  }

  /** Builds a configuration from the defaults, one setting at a time. */
  public static final class Builder {
    private final StoreLocation location;
    private boolean createIfMissing = true;
    private long logBytes = 1L << 30;
    private int segmentBytes = 64 << 20;
    private long checkpointSlotBytes = 0;
    private int queueDepth = 128;
    private int batchBytesMax = 1 << 20;
    private int batchEntriesMax = 1024;
    private int batchesInFlightMax = 2;
    private long inFlightBytesMax = 128L << 20;
    private int requestBytesMax = 32 << 20;

    /** 0 until set: then 64, or what the queue leaves beside the writes if that is less. */
    private int readsInFlightMax;

    private long checkpointIntervalBytes = 256L << 20;
    private long cleanerInFlightBytes = 2L << 20;
    private long cleanerInlineSearchExtents = 1L << 16;
    private long mapExtentsMax = defaultMapExtentsMax();
    private boolean locking = true;
    private EngineFactory engines =
        depth ->
            IoEngines.open(
                new NativeIoConfiguration(
                    NativeIoConfiguration.from(System.getProperties()).engine(), depth));

    private Builder(StoreLocation location) {
      this.location = location;
    }

    public Builder createIfMissing(boolean value) {
      createIfMissing = value;
      return this;
    }

    public Builder logBytes(long value) {
      logBytes = value;
      return this;
    }

    public Builder segmentBytes(int value) {
      segmentBytes = value;
      return this;
    }

    public Builder checkpointSlotBytes(long value) {
      checkpointSlotBytes = value;
      return this;
    }

    public Builder queueDepth(int value) {
      queueDepth = value;
      return this;
    }

    public Builder batchBytesMax(int value) {
      batchBytesMax = value;
      return this;
    }

    public Builder batchEntriesMax(int value) {
      batchEntriesMax = value;
      return this;
    }

    public Builder batchesInFlightMax(int value) {
      batchesInFlightMax = value;
      return this;
    }

    public Builder inFlightBytesMax(long value) {
      inFlightBytesMax = value;
      return this;
    }

    public Builder requestBytesMax(int value) {
      requestBytesMax = value;
      return this;
    }

    public Builder readsInFlightMax(int value) {
      readsInFlightMax = value;
      return this;
    }

    public Builder cleanerInFlightBytes(long value) {
      cleanerInFlightBytes = value;
      return this;
    }

    public Builder cleanerInlineSearchExtents(long value) {
      cleanerInlineSearchExtents = value;
      return this;
    }

    public Builder checkpointIntervalBytes(long value) {
      checkpointIntervalBytes = value;
      return this;
    }

    public Builder mapExtentsMax(long value) {
      mapExtentsMax = value;
      return this;
    }

    public Builder locking(boolean value) {
      locking = value;
      return this;
    }

    public Builder engines(EngineFactory value) {
      engines = value;
      return this;
    }

    public StoreConfiguration build() {
      return new StoreConfiguration(
          location,
          createIfMissing,
          logBytes,
          segmentBytes,
          checkpointSlotBytes,
          queueDepth,
          batchBytesMax,
          batchEntriesMax,
          batchesInFlightMax,
          inFlightBytesMax,
          requestBytesMax,
          readsInFlightMax > 0
              ? readsInFlightMax
              : defaultReadsInFlightMax(queueDepth, batchesInFlightMax),
          checkpointIntervalBytes,
          cleanerInFlightBytes,
          cleanerInlineSearchExtents,
          mapExtentsMax,
          locking,
          engines);
    }
  }
}
