package io.unblend.nativeio;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Set;

/**
 * Asynchronous, syscall-shaped file I/O: the one interface that the storage engine uses, with an
 * io_uring implementation, a pread/pwrite fallback and a simulated disk for tests.
 *
 * <p>Operations are <em>prepared</em> (queued locally, nothing allocated), <em>submitted</em> in
 * one batch, and their completions delivered to a {@link CompletionHandler} with the caller's user
 * data. At most {@link #queueDepth()} operations are in flight (prepared or submitted, not yet
 * delivered): a {@code prepare} method returns {@code false} when the queue is full, and the caller
 * reaps completions before it tries again. That is the back-pressure.
 *
 * <p>Requests that can be judged wrong before any syscall (misaligned O_DIRECT access, a closed
 * file, a write to a read-only file, a heap buffer) are refused by the {@code prepare} method with
 * a {@link NativeIoException} that names what was wrong. Errors from the kernel come back as
 * negative results.
 *
 * <p>An engine is confined to one thread at a time: the caller serialises prepare, submit and
 * await. Opening and closing files may happen on any thread.
 */
public interface IoEngine extends AutoCloseable {
  /** The largest read or write one operation may carry (a completion's result is an int). */
  int MAX_TRANSFER_BYTES = 1 << 30;

  /** The one user data value callers may not use: the engine's own operations carry it. */
  long RESERVED_USER_DATA = Long.MIN_VALUE;

  /** "io_uring", "pread/pwrite" or "simulated": what a log line should say is in use. */
  String name();

  /** The most operations that may be in flight at once. */
  int queueDepth();

  /** Operations prepared or submitted whose completions were not delivered yet. */
  int inFlight();

  /** Opens (and with {@link OpenFlag#CREATE} creates) a regular file or a block device. */
  IoFile open(Path path, Set<OpenFlag> flags) throws NativeIoException;

  /** The size of a regular file, or of a block device as BLKGETSIZE64 reports it. */
  long sizeBytes(IoFile file) throws NativeIoException;

  boolean prepareRead(IoFile file, long offsetBytes, MemorySegment buffer, long userData)
      throws NativeIoException;

  boolean prepareWrite(IoFile file, long offsetBytes, MemorySegment buffer, long userData)
      throws NativeIoException;

  /**
   * A write that completes only once its own data is durable, as if an fdatasync of just this write
   * followed it ({@code RWF_DSYNC}; a FUA write where the device has it). Writes that completed
   * before it are not made durable by it: that takes {@link #prepareDatasync}.
   */
  boolean prepareDurableWrite(IoFile file, long offsetBytes, MemorySegment buffer, long userData)
      throws NativeIoException;

  /**
   * A read into a buffer that lies inside the registered region {@code bufferIndex}, which saves
   * the kernel from mapping the pages on every operation.
   */
  boolean prepareReadFixed(
      IoFile file, long offsetBytes, MemorySegment buffer, int bufferIndex, long userData)
      throws NativeIoException;

  boolean prepareWriteFixed(
      IoFile file, long offsetBytes, MemorySegment buffer, int bufferIndex, long userData)
      throws NativeIoException;

  /**
   * fdatasync: completes when every write to this file that completed before it was prepared is
   * durable.
   */
  boolean prepareDatasync(IoFile file, long userData) throws NativeIoException;

  /** fallocate(2) with the given mode (0 allocates and extends the file). */
  boolean prepareFallocate(IoFile file, int mode, long offsetBytes, long lengthBytes, long userData)
      throws NativeIoException;

  /**
   * Drops the page cache's copies of a range of a file opened without O_DIRECT
   * (POSIX_FADV_DONTNEED), at once. Only advice: an engine without a page cache does nothing, and a
   * failure is ignored, since the cache stays coherent either way.
   */
  default void dropCachedPages(IoFile file, long offsetBytes, long lengthBytes) {}

  /** An operation that does nothing and completes with 0; useful to wake a waiting reaper. */
  boolean prepareNop(long userData) throws NativeIoException;

  /**
   * Registers memory regions for the fixed-buffer operations, replacing any registered before.
   * Buffers are named by their index in {@code regions}.
   */
  void registerBuffers(MemorySegment... regions) throws NativeIoException;

  /** Hands every prepared operation to the kernel; returns how many were submitted. */
  int submit() throws NativeIoException;

  /**
   * Submits what is prepared, then delivers completions to {@code handler} until at least {@code
   * minimum} were delivered (fewer when fewer are in flight) and returns how many were delivered.
   * With {@code minimum} 0 it delivers only what has already completed and never blocks. A {@link
   * #wakeup()} makes it return early.
   */
  int awaitCompletions(int minimum, CompletionHandler handler) throws NativeIoException;

  /**
   * Makes an {@link #awaitCompletions} that is blocked on another thread (or the next one to block)
   * return, even with fewer completions than it asked for. The one method that any thread may call
   * at any time: a producer calls it after queueing work for the engine's thread.
   */
  void wakeup();

  /** Waits for every operation in flight, then releases the engine's resources. */
  @Override
  void close() throws NativeIoException;
}
