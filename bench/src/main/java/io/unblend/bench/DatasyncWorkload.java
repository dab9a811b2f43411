package io.unblend.bench;

import io.unblend.nativeio.CompletionHandler;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.MemorySegment;

/**
 * One write, wait, fdatasync, wait, and again: the latency-bound path of a commit at queue depth 1,
 * as fio measures it with {@code --fdatasync=1}. An operation is one write made durable.
 */
final class DatasyncWorkload implements Workload {
  private static final int REGION_INDEX = 0;
  private static final long USER_DATA = 0;

  private final IoEngine engine;
  private final IoFile file;
  private final MemorySegment buffer;
  private final AppendCursor cursor;
  private final CompletionHandler resultCatcher = (userData, result) -> lastResult = result;
  private int lastResult;

  DatasyncWorkload(IoEngine engine, IoFile file, MemorySegment buffer, AppendCursor cursor) {
    this.engine = engine;
    this.file = file;
    this.buffer = buffer;
    this.cursor = cursor;
  }

  @Override
  public Measurement run(long durationNanos) throws NativeIoException {
    long startNanos = System.nanoTime();
    long deadlineNanos = startNanos + durationNanos;
    long operations = 0;
    do {
      long offsetBytes = cursor.next();
      ResultChecks.checkPrepared(
          engine.prepareWriteFixed(file, offsetBytes, buffer, REGION_INDEX, USER_DATA), engine);
      ResultChecks.checkWrite(file, offsetBytes, buffer.byteSize(), awaitOne());
      ResultChecks.checkPrepared(engine.prepareDatasync(file, USER_DATA), engine);
      ResultChecks.checkDatasync(file, awaitOne());
      operations++;
    } while (System.nanoTime() - deadlineNanos < 0);
    return new Measurement(
        operations, operations * buffer.byteSize(), System.nanoTime() - startNanos);
  }

  private int awaitOne() throws NativeIoException {
    engine.awaitCompletions(1, resultCatcher);
    return lastResult;
  }
}
