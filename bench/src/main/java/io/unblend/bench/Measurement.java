package io.unblend.bench;

import java.util.Locale;

/** What a timed run did: writes completed, bytes written and the time it took. */
public record Measurement(long operations, long bytes, long elapsedNanos) {
  private static final double NANOS_PER_SECOND = 1e9;

  /** fio's MB: bandwidth in 10^6 bytes per second, as its {@code bw_bytes} / 10^6. */
  private static final double BYTES_PER_MEGABYTE = 1e6;

  public double iops() {
    return operations * NANOS_PER_SECOND / elapsedNanos;
  }

  public double megabytesPerSecond() {
    return bytes * NANOS_PER_SECOND / elapsedNanos / BYTES_PER_MEGABYTE;
  }

  /** The one line bench/native-io-append.sh reads. */
  public String resultLine(AppendOptions options) {
    return String.format(
        Locale.ROOT,
        "RESULT engine=%s workload=%s block_bytes=%d queue_depth=%d seconds=%.3f operations=%d"
            + " iops=%.1f mbps=%.2f",
        options.engine().flagValue(),
        options.workload().flagValue(),
        options.blockBytes(),
        options.queueDepth(),
        elapsedNanos / NANOS_PER_SECOND,
        operations,
        iops(),
        megabytesPerSecond());
  }
}
