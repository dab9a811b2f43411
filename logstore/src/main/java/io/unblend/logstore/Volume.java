package io.unblend.logstore;

import io.unblend.logstore.core.BlockStatusRuns;
import io.unblend.logstore.core.Request;
import io.unblend.logstore.core.StorageLoop;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.log.EntryType;
import io.unblend.nativeio.Errno;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A thin virtual volume: 512-byte-aligned reads and writes, trims, zeroes and flushes, each
 * answered by a future that the storage thread completes. Dependent stages attached without an
 * executor run on the storage thread and must not block.
 */
public final class Volume {
  private final StorageLoop loop;
  private final int id;
  private final String name;
  private final int requestBytesMax;
  private final boolean snapshot;
  private volatile long sizeBytes;

  Volume(
      StorageLoop loop,
      int id,
      String name,
      long sizeBytes,
      int requestBytesMax,
      boolean snapshot) {
    this.loop = loop;
    this.id = id;
    this.name = name;
    this.sizeBytes = sizeBytes;
    this.requestBytesMax = requestBytesMax;
    this.snapshot = snapshot;
  }

  /** Whether this is a read-only snapshot ({@code volume@snapshot}): changes fail with EPERM. */
  public boolean isSnapshot() {
    return snapshot;
  }

  public int id() {
    return id;
  }

  public String name() {
    return name;
  }

  public long sizeBytes() {
    return sizeBytes;
  }

  void sizeChanged(long newSizeBytes) {
    sizeBytes = newSizeBytes;
  }

  /**
   * Writes {@code data} at {@code offsetBytes}; completes when its batch is written, with {@code
   * fua} when it is also durable. {@code data} must stay unchanged until then.
   */
  public CompletableFuture<Void> write(long offsetBytes, MemorySegment data, boolean fua) {
    StoreException invalid = check("write", offsetBytes, data.byteSize(), true);
    if (invalid == null) {
      invalid = checkBuffer("write", data);
    }
    if (invalid != null) {
      return CompletableFuture.failedFuture(invalid);
    }
    loop.admit(data.byteSize());
    Request.Write write = new Request.Write(id, offsetBytes / Bytes.SECTOR_BYTES, data, fua);
    loop.submit(write);
    return write.done();
  }

  /**
   * Reads {@code into.byteSize()} bytes at {@code offsetBytes}; holes read as zeros. The kernel
   * reads the log straight into {@code into}, so it must be native memory, and must stay allocated
   * until the returned future completes, whatever its outcome.
   */
  public CompletableFuture<Void> read(long offsetBytes, MemorySegment into) {
    return read(offsetBytes, into, null);
  }

  /**
   * Reads as {@link #read} does and answers with the allocation runs of the range as the read found
   * them, as {@link #blockStatus} would: one trip to the storage thread for both.
   */
  public CompletableFuture<List<BlockStatusRun>> readWithStatus(
      long offsetBytes, MemorySegment into) {
    BlockStatusRuns runs = new BlockStatusRuns();
    return read(offsetBytes, into, runs).thenApply(ignored -> runs.runs());
  }

  private CompletableFuture<Void> read(long offsetBytes, MemorySegment into, BlockStatusRuns runs) {
    StoreException invalid = check("read", offsetBytes, into.byteSize(), true);
    if (invalid == null && !into.isNative()) {
      invalid =
          new StoreException(
              Errno.EINVAL,
              "read on volume "
                  + name
                  + ": the buffer is on the Java heap; the log is read straight into it, so it"
                  + " must be native memory (an Arena, or a direct ByteBuffer)");
    }
    if (invalid == null) {
      invalid = checkBuffer("read", into);
    }
    if (invalid != null) {
      return CompletableFuture.failedFuture(invalid);
    }
    Request.Read read = new Request.Read(id, offsetBytes / Bytes.SECTOR_BYTES, into, runs);
    loop.submit(read);
    return read.done()
        .copy(); // Completing the copy cannot answer the read before the kernel is done.
  }

  /** Makes the range a hole: it reads as zeros and its log space becomes free. */
  public CompletableFuture<Void> trim(long offsetBytes, long lengthBytes, boolean fua) {
    return range(EntryType.TRIM, "trim", offsetBytes, lengthBytes, fua);
  }

  /**
   * Makes the range read as zeros: a hole, or with {@code noHole} allocated zeros (NBD's
   * WRITE_ZEROES with NO_HOLE). Neither writes zero bytes to the log.
   */
  public CompletableFuture<Void> writeZeroes(
      long offsetBytes, long lengthBytes, boolean noHole, boolean fua) {
    return range(
        noHole ? EntryType.ZERO : EntryType.TRIM, "write zeroes", offsetBytes, lengthBytes, fua);
  }

  /** Completes when every write completed before it is durable (on every volume). */
  public CompletableFuture<Void> flush() {
    return loop.requestFlush();
  }

  /**
   * The runs over the range where this volume (or snapshot) differs from {@code base}, an older
   * snapshot of it: what an incremental backup has to copy. Bytes beyond the end of {@code base}
   * (the volume grew since) count as changed.
   */
  public CompletableFuture<List<ChangedRun>> changedSince(
      Volume base, long offsetBytes, long lengthBytes) {
    StoreException invalid = check("changed-blocks query", offsetBytes, lengthBytes, false);
    if (invalid == null && !base.isSnapshot()) {
      invalid = new StoreException(Errno.EINVAL, base.name() + " is not a snapshot");
    }
    if (invalid != null) {
      return CompletableFuture.failedFuture(invalid);
    }
    CompletableFuture<List<ChangedRun>> done = new CompletableFuture<>();
    loop.submit(
        new Request.Changes(
            id,
            base.id(),
            offsetBytes / Bytes.SECTOR_BYTES,
            lengthBytes / Bytes.SECTOR_BYTES,
            done));
    return done;
  }

  /** Allocation runs over the range, in order. */
  public CompletableFuture<List<BlockStatusRun>> blockStatus(long offsetBytes, long lengthBytes) {
    StoreException invalid = check("block status", offsetBytes, lengthBytes, false);
    if (invalid != null) {
      return CompletableFuture.failedFuture(invalid);
    }
    CompletableFuture<List<BlockStatusRun>> done = new CompletableFuture<>();
    loop.submit(
        new Request.BlockStatus(
            id, offsetBytes / Bytes.SECTOR_BYTES, lengthBytes / Bytes.SECTOR_BYTES, done));
    return done;
  }

  private CompletableFuture<Void> range(
      EntryType type, String operation, long offsetBytes, long lengthBytes, boolean fua) {
    StoreException invalid = check(operation, offsetBytes, lengthBytes, false);
    if (invalid != null) {
      return CompletableFuture.failedFuture(invalid);
    }
    Request.Range range =
        new Request.Range(
            type, id, offsetBytes / Bytes.SECTOR_BYTES, lengthBytes / Bytes.SECTOR_BYTES, fua);
    loop.submit(range);
    return range.done();
  }

  /** The storage thread copies into and out of caller buffers, so it must be able to reach them. */
  private StoreException checkBuffer(String operation, MemorySegment buffer) {
    Thread storage = loop.thread();
    if (storage != null && !buffer.isAccessibleBy(storage)) {
      return new StoreException(
          Errno.EINVAL,
          operation
              + " on volume "
              + name
              + ": the buffer belongs to a confined arena of another thread; allocate it from"
              + " Arena.ofShared() or Arena.ofAuto()");
    }
    return null;
  }

  private StoreException check(
      String operation, long offsetBytes, long lengthBytes, boolean transfersData) {
    if (offsetBytes % Bytes.SECTOR_BYTES != 0 || lengthBytes % Bytes.SECTOR_BYTES != 0) {
      return new StoreException(
          Errno.EINVAL,
          operation
              + " of "
              + lengthBytes
              + " bytes at "
              + offsetBytes
              + " on volume "
              + name
              + " is not aligned to 512-byte sectors");
    }
    if (lengthBytes <= 0 || (transfersData && lengthBytes > requestBytesMax)) {
      return new StoreException(
          Errno.EINVAL,
          operation + " length " + lengthBytes + " must be 1 to " + requestBytesMax + " bytes");
    }
    long size = sizeBytes;
    if (offsetBytes < 0 || offsetBytes > size - lengthBytes) {
      return new StoreException(
          Errno.EINVAL,
          operation
              + " of "
              + lengthBytes
              + " bytes at "
              + offsetBytes
              + " lies outside volume "
              + name
              + " of "
              + size
              + " bytes");
    }
    return null;
  }

  @Override
  public String toString() {
    return "volume " + name + " (" + id + ", " + sizeBytes + " bytes)";
  }
}
