package io.unblend.bench;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.OpenFlag;
import io.unblend.nativeio.file.AlignedBufferPool;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.SplittableRandom;

/**
 * Appends to a preallocated, pre-written file with O_DIRECT through an {@link IoEngine} and prints
 * one {@code RESULT} line, so that bench/native-io-append.sh can set it beside fio on the same
 * file.
 */
public final class AppendBenchmark {
  /** A fixed seed: every run writes the same bytes, and none of them are zero pages. */
  private static final long FILL_SEED = 0x756e626c656e64L;

  private AppendBenchmark() {}

  public static void main(String[] args) {
    AppendOptions options;
    try {
      options = AppendOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(AppendOptions.USAGE);
      System.exit(2);
      return;
    }
    try {
      System.out.println(run(options).resultLine(options));
    } catch (NativeIoException | IllegalArgumentException e) {
      System.err.println("append benchmark failed: " + e.getMessage());
      System.exit(1);
    }
  }

  private static Measurement run(AppendOptions options) throws NativeIoException {
    int queueDepth = options.queueDepth();
    // Declared first so that it is closed last: the engine waits for writes still in flight
    // before their buffers are freed.
    try (AlignedBufferPool pool =
            new AlignedBufferPool(
                queueDepth, options.blockBytes(), AlignedBufferPool.DEFAULT_ALIGNMENT_BYTES);
        IoEngine engine = options.engine().open(queueDepth);
        IoFile file = engine.open(options.file(), EnumSet.of(OpenFlag.WRITE, OpenFlag.DIRECT))) {
      engine.registerBuffers(pool.region());
      MemorySegment[] buffers = takeAll(pool);
      AppendCursor cursor =
          new AppendCursor(engine.sizeBytes(file), options.blockBytes(), queueDepth);
      Workload workload = options.workload().create(engine, file, buffers, cursor);
      workload.run(options.warmupNanos());
      return workload.run(options.runNanos());
    }
  }

  /** Takes every buffer of the pool and fills it once, so that no write allocates or copies. */
  private static MemorySegment[] takeAll(AlignedBufferPool pool) {
    SplittableRandom random = new SplittableRandom(FILL_SEED);
    MemorySegment[] buffers = new MemorySegment[pool.bufferCount()];
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] = pool.acquire();
      for (long offset = 0; offset < buffers[i].byteSize(); offset += Long.BYTES) {
        buffers[i].set(JAVA_LONG, offset, random.nextLong());
      }
    }
    return buffers;
  }
}
