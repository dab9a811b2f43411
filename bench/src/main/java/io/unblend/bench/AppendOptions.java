package io.unblend.bench;

import io.unblend.nativeio.IoEngine;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The command line of {@link AppendBenchmark}, validated at once: a bad value fails with a message
 * that names the flag.
 *
 * @param file a preallocated, pre-written regular file or block device
 * @param blockBytes the size of each write, a multiple of {@link #ALIGNMENT_BYTES}
 * @param queueDepth writes in flight; 1 for the datasync workload
 */
public record AppendOptions(
    Path file,
    WorkloadKind workload,
    EngineKind engine,
    int blockBytes,
    int queueDepth,
    int seconds,
    int warmupSeconds) {
  public static final String USAGE =
      """
      usage: AppendBenchmark --file PATH [--workload write|datasync] [--engine io_uring|pread]
                             [--block-bytes N] [--queue-depth N] [--seconds N] [--warmup-seconds N]
      """;

  /** The O_DIRECT alignment that every write size must keep. */
  public static final int ALIGNMENT_BYTES = 4096;

  /** Bounds the pinned memory: queue depth times write size. */
  public static final long BUFFER_BYTES_MAX = 1L << 30;

  public static final int QUEUE_DEPTH_MAX = 1024;
  public static final int SECONDS_MAX = 3600;

  public AppendOptions {
    if (blockBytes <= 0 || blockBytes % ALIGNMENT_BYTES != 0) {
      throw invalid("--block-bytes", blockBytes, "a positive multiple of " + ALIGNMENT_BYTES);
    }
    if (blockBytes > IoEngine.MAX_TRANSFER_BYTES) {
      throw invalid("--block-bytes", blockBytes, "at most " + IoEngine.MAX_TRANSFER_BYTES);
    }
    if (queueDepth < 1 || queueDepth > QUEUE_DEPTH_MAX) {
      throw invalid("--queue-depth", queueDepth, "between 1 and " + QUEUE_DEPTH_MAX);
    }
    if (workload == WorkloadKind.DATASYNC && queueDepth != 1) {
      throw invalid("--queue-depth", queueDepth, "1 for --workload datasync");
    }
    if ((long) blockBytes * queueDepth > BUFFER_BYTES_MAX) {
      throw invalid(
          "--queue-depth", queueDepth, "such that depth times --block-bytes is at most 1 GiB");
    }
    if (seconds < 1 || seconds > SECONDS_MAX) {
      throw invalid("--seconds", seconds, "between 1 and " + SECONDS_MAX);
    }
    if (warmupSeconds < 0 || warmupSeconds > SECONDS_MAX) {
      throw invalid("--warmup-seconds", warmupSeconds, "between 0 and " + SECONDS_MAX);
    }
  }

  /** Parses {@code --flag value} pairs; every flag but {@code --file} has a default. */
  public static AppendOptions parse(String[] args) {
    Path file = null;
    WorkloadKind workload = WorkloadKind.WRITE;
    EngineKind engine = EngineKind.IO_URING;
    int blockBytes = 1 << 20;
    int queueDepth = 8;
    int seconds = 5;
    int warmupSeconds = 1;
    for (int i = 0; i < args.length; i += 2) {
      String flag = args[i];
      if (i + 1 == args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      String value = args[i + 1];
      switch (flag) {
        case "--file" -> file = Path.of(value);
        case "--workload" -> workload = WorkloadKind.parse(value);
        case "--engine" -> engine = EngineKind.parse(value);
        case "--block-bytes" -> blockBytes = integer(flag, value);
        case "--queue-depth" -> queueDepth = integer(flag, value);
        case "--seconds" -> seconds = integer(flag, value);
        case "--warmup-seconds" -> warmupSeconds = integer(flag, value);
        default -> throw new IllegalArgumentException("unknown flag " + flag);
      }
    }
    if (file == null) {
      throw new IllegalArgumentException("--file is required");
    }
    return new AppendOptions(
        file, workload, engine, blockBytes, queueDepth, seconds, warmupSeconds);
  }

  public long runNanos() {
    return TimeUnit.SECONDS.toNanos(seconds);
  }

  public long warmupNanos() {
    return TimeUnit.SECONDS.toNanos(warmupSeconds);
  }

  private static int integer(String flag, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " " + value + " is not an integer", e);
    }
  }

  private static IllegalArgumentException invalid(String flag, long value, String expected) {
    return new IllegalArgumentException(flag + " " + value + " must be " + expected);
  }
}
