package io.unblend.bench;

import io.unblend.nativeio.CompletionHandler;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.MemorySegment;

/**
 * Keeps one write in flight from every buffer: each completion is checked and its buffer goes
 * straight back out with the next offset, so the queue stays full until the time is up. The user
 * data of a write is the index of its buffer; nothing is allocated per write.
 */
final class SequentialWriteWorkload implements Workload {
  /** Every buffer lies inside the one registered region, the pool's. */
  private static final int REGION_INDEX = 0;

  private final IoEngine engine;
  private final IoFile file;
  private final MemorySegment[] buffers;
  private final AppendCursor cursor;
  private final long[] offsetsBytes;
  private final int[] completedBuffers;
  private final int[] completedResults;
  private final CompletionHandler collector = this::collect;
  private int completedCount;

  SequentialWriteWorkload(
      IoEngine engine, IoFile file, MemorySegment[] buffers, AppendCursor cursor) {
    this.engine = engine;
    this.file = file;
    this.buffers = buffers;
    this.cursor = cursor;
    this.offsetsBytes = new long[buffers.length];
    this.completedBuffers = new int[buffers.length];
    this.completedResults = new int[buffers.length];
  }

  @Override
  public Measurement run(long durationNanos) throws NativeIoException {
    long startNanos = System.nanoTime();
    long deadlineNanos = startNanos + durationNanos;
    long operations = 0;
    long bytes = 0;
    for (int buffer = 0; buffer < buffers.length; buffer++) {
      prepare(buffer);
    }
    while (engine.inFlight() > 0) {
      // The completions are collected first and checked here, where a failure may throw.
      engine.awaitCompletions(1, collector);
      boolean refill = System.nanoTime() - deadlineNanos < 0;
      for (int i = 0; i < completedCount; i++) {
        int buffer = completedBuffers[i];
        long lengthBytes = buffers[buffer].byteSize();
        ResultChecks.checkWrite(file, offsetsBytes[buffer], lengthBytes, completedResults[i]);
        operations++;
        bytes += lengthBytes;
        if (refill) {
          prepare(buffer);
        }
      }
      completedCount = 0;
    }
    return new Measurement(operations, bytes, System.nanoTime() - startNanos);
  }

  private void prepare(int buffer) throws NativeIoException {
    long offsetBytes = cursor.next();
    offsetsBytes[buffer] = offsetBytes;
    ResultChecks.checkPrepared(
        engine.prepareWriteFixed(file, offsetBytes, buffers[buffer], REGION_INDEX, buffer), engine);
  }

  private void collect(long userData, int result) {
    completedBuffers[completedCount] = (int) userData;
    completedResults[completedCount] = result;
    completedCount++;
  }
}
