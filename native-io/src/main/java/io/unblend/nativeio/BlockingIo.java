package io.unblend.nativeio;

import java.lang.foreign.MemorySegment;

/**
 * One operation at a time on an {@link IoEngine}, waiting for each: for start-up, recovery and
 * tests, where simplicity beats queue depth. Results become exceptions with the file, offset and
 * length; a short write is an error. The engine must not be used by anyone else meanwhile.
 */
public final class BlockingIo {
  private static final long USER_DATA = 1;

  private final IoEngine engine;
  private final CompletionHandler resultCatcher = (userData, result) -> lastResult = result;
  private int lastResult;

  public BlockingIo(IoEngine engine) {
    this.engine = engine;
  }

  public IoEngine engine() {
    return engine;
  }

  /** Reads into {@code buffer}; returns the bytes read, fewer only at the end of the file. */
  public synchronized int read(IoFile file, long offsetBytes, MemorySegment buffer)
      throws NativeIoException {
    accept(engine.prepareRead(file, offsetBytes, buffer, USER_DATA));
    return check(IoOperation.READ, file, offsetBytes, buffer.byteSize());
  }

  /** Writes all of {@code buffer}; anything less fails. */
  public synchronized void write(IoFile file, long offsetBytes, MemorySegment buffer)
      throws NativeIoException {
    accept(engine.prepareWrite(file, offsetBytes, buffer, USER_DATA));
    int written = check(IoOperation.WRITE, file, offsetBytes, buffer.byteSize());
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
    accept(engine.prepareDatasync(file, USER_DATA));
    check(IoOperation.DATASYNC, file, NativeIoException.NONE, NativeIoException.NONE);
  }

  public synchronized void fallocate(IoFile file, int mode, long offsetBytes, long lengthBytes)
      throws NativeIoException {
    accept(engine.prepareFallocate(file, mode, offsetBytes, lengthBytes, USER_DATA));
    check(IoOperation.FALLOCATE, file, offsetBytes, lengthBytes);
  }

  private void accept(boolean prepared) {
    if (!prepared) {
      throw new IllegalStateException(
          "the engine's queue is full: BlockingIo needs an engine nobody else is using");
    }
  }

  private int check(IoOperation operation, IoFile file, long offsetBytes, long lengthBytes)
      throws NativeIoException {
    engine.awaitCompletions(1, resultCatcher);
    if (lastResult < 0) {
      throw NativeIoException.fromResult(
          lastResult, operation.label(), file, offsetBytes, lengthBytes);
    }
    return lastResult;
  }
}
