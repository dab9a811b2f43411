package io.unblend.nativeio;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * One operation at a time on an {@link IoEngine}, waiting for each: for start-up, recovery and
 * tests, where simplicity beats queue depth. Two exceptions: a set of independent reads ({@link
 * #readEach}), and reads started in the background ({@link #startRead}) that other calls overtake.
 * Results become exceptions with the file, offset and length; a short write is an error. The engine
 * must not be used by anyone else meanwhile.
 */
public final class BlockingIo {
  private final IoEngine engine;

  /** Results delivered by the engine that their caller has not claimed yet, by user data. */
  private final Map<Long, Integer> arrived = new HashMap<>();

  private final CompletionHandler keep = arrived::put;
  private long nextUserData = 1;

  /** A read started by {@link #startRead}; {@link #finishRead} waits for it. */
  public record StartedRead(IoFile file, long offsetBytes, long lengthBytes, long userData) {}

  public BlockingIo(IoEngine engine) {
    this.engine = engine;
  }

  public IoEngine engine() {
    return engine;
  }

  /** Reads into {@code buffer}; returns the bytes read, fewer only at the end of the file. */
  public synchronized int read(IoFile file, long offsetBytes, MemorySegment buffer)
      throws NativeIoException {
    long userData = nextUserData++;
    accept(engine.prepareRead(file, offsetBytes, buffer, userData));
    return check(userData, IoOperation.READ, file, offsetBytes, buffer.byteSize());
  }

  /**
   * Starts reading into {@code buffer} and returns at once; the buffer must stay allocated until
   * {@link #finishRead} has returned (or thrown) for it. Other calls may run meanwhile.
   */
  public synchronized StartedRead startRead(IoFile file, long offsetBytes, MemorySegment buffer)
      throws NativeIoException {
    long userData = nextUserData++;
    accept(engine.prepareRead(file, offsetBytes, buffer, userData));
    engine.submit();
    return new StartedRead(file, offsetBytes, buffer.byteSize(), userData);
  }

  /** Waits for a started read; returns the bytes read, fewer only at the end of the file. */
  public synchronized int finishRead(StartedRead read) throws NativeIoException {
    return check(
        read.userData(), IoOperation.READ, read.file(), read.offsetBytes(), read.lengthBytes());
  }

  /**
   * Reads {@code lengthBytes} at each of {@code offsetsBytes} into consecutive slices of {@code
   * into}, as many at a time as the engine's queue depth allows: for scattered small reads, such as
   * the first block of every segment, whose one-at-a-time latency would add up. Returns the bytes
   * read at each offset (fewer only at the end of the file); an error fails the whole call, once
   * every read in flight has completed.
   */
  public synchronized int[] readEach(
      IoFile file, long[] offsetsBytes, int lengthBytes, MemorySegment into)
      throws NativeIoException {
    int count = offsetsBytes.length;
    if (into.byteSize() < (long) count * lengthBytes) {
      throw new IllegalArgumentException(
          count + " reads of " + lengthBytes + " bytes do not fit " + into.byteSize() + " bytes");
    }
    long firstUserData = nextUserData;
    nextUserData += count;
    int[] results = new int[count];
    int next = 0;
    int done = 0;
    while (done < count) {
      while (next < count && engine.inFlight() < engine.queueDepth()) {
        accept(
            engine.prepareRead(
                file,
                offsetsBytes[next],
                into.asSlice((long) next * lengthBytes, lengthBytes),
                firstUserData + next));
        next++;
      }
      results[done] = awaitResult(firstUserData + done);
      done++;
    }
    for (int i = 0; i < count; i++) {
      if (results[i] < 0) {
        throw NativeIoException.fromResult(
            results[i], IoOperation.READ.label(), file, offsetsBytes[i], lengthBytes);
      }
    }
    return results;
  }

  /** Writes all of {@code buffer}; anything less fails. */
  public synchronized void write(IoFile file, long offsetBytes, MemorySegment buffer)
      throws NativeIoException {
    long userData = nextUserData++;
    accept(engine.prepareWrite(file, offsetBytes, buffer, userData));
    int written = check(userData, IoOperation.WRITE, file, offsetBytes, buffer.byteSize());
    if (written != buffer.byteSize()) {
      throw new NativeIoException(
          Errno.EIO.number(),
          IoOperation.WRITE.label(),
          file.path(),
          offsetBytes,
          buffer.byteSize(),
          "short write: " + written + " of " + buffer.byteSize() + " bytes written");
    }
  }

  public synchronized void datasync(IoFile file) throws NativeIoException {
    long userData = nextUserData++;
    accept(engine.prepareDatasync(file, userData));
    check(userData, IoOperation.DATASYNC, file, NativeIoException.NONE, NativeIoException.NONE);
  }

  public synchronized void fallocate(IoFile file, int mode, long offsetBytes, long lengthBytes)
      throws NativeIoException {
    long userData = nextUserData++;
    accept(engine.prepareFallocate(file, mode, offsetBytes, lengthBytes, userData));
    check(userData, IoOperation.FALLOCATE, file, offsetBytes, lengthBytes);
  }

  private void accept(boolean prepared) {
    if (!prepared) {
      throw new IllegalStateException(
          "the engine's queue is full: BlockingIo needs an engine nobody else is using");
    }
  }

  private int check(
      long userData, IoOperation operation, IoFile file, long offsetBytes, long lengthBytes)
      throws NativeIoException {
    int result = awaitResult(userData);
    if (result < 0) {
      throw NativeIoException.fromResult(result, operation.label(), file, offsetBytes, lengthBytes);
    }
    return result;
  }

  /** Takes completions, keeping those of other operations, until this one's has arrived. */
  private int awaitResult(long userData) throws NativeIoException {
    Integer result;
    while ((result = arrived.remove(userData)) == null) {
      if (engine.awaitCompletions(1, keep) == 0 && engine.inFlight() == 0) {
        throw new IllegalStateException(
            "operation " + userData + " has no completion and nothing is in flight");
      }
    }
    return result;
  }
}
