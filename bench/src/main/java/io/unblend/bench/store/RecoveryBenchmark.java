package io.unblend.bench.store;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import io.unblend.logstore.Volume;
import io.unblend.logstore.checkpoint.RecoveryReport;
import io.unblend.logstore.core.VolumeSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Times the opening of a store, in two steps that run in separate JVMs so that nothing of the
 * writer's heap or JIT helps the reader:
 *
 * <ul>
 *   <li>{@code crash}: makes a new store whose checkpoint interval is larger than its log, writes
 *       {@code --bytes} into one volume, flushes, and stops like a crash ({@link Store#abandon()},
 *       then a halt): everything written is un-checkpointed log that recovery must replay.
 *   <li>{@code open}: opens the store, prints the recovery report and the wall time of {@link
 *       Store#open}, then closes it cleanly (a checkpoint), so that the next {@code open} measures
 *       the restart after a clean close.
 * </ul>
 */
public final class RecoveryBenchmark {
  static final String USAGE =
      """
      usage: RecoveryBenchmark crash --store DIR [--log-bytes SIZE] [--bytes SIZE]
                                     [--write-bytes SIZE] [--in-flight N]
                                     [--pattern sequential|random] [--batch-bytes SIZE]
             RecoveryBenchmark open --store DIR
        crash needs a DIR without a store; open needs the one crash left.
      """;

  /** Larger than any log here: no checkpoint is written while the log fills. */
  private static final long CHECKPOINT_INTERVAL_BYTES = 1L << 40;

  private RecoveryBenchmark() {}

  public static void main(String[] args) {
    try {
      if (args.length == 0) {
        throw new IllegalArgumentException("expected crash or open");
      }
      BenchArguments a = BenchArguments.parse(args, 1);
      String result =
          switch (args[0]) {
            case "crash" -> crash(a);
            case "open" -> open(a);
            default -> throw new IllegalArgumentException("expected crash or open, not " + args[0]);
          };
      System.out.println(result);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
    } catch (IOException | RuntimeException e) {
      System.err.println("recovery benchmark failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  private static StoreConfiguration.Builder configuration(Path directory) {
    return StoreConfiguration.at(new StoreLocation.Directory(directory))
        .checkpointIntervalBytes(CHECKPOINT_INTERVAL_BYTES);
  }

  private static String crash(BenchArguments a) throws IOException {
    Path directory = a.path("store");
    long logBytes = a.bytes("log-bytes", 2L << 30, 256L << 20, 1L << 40);
    long bytes = a.bytes("bytes", 1L << 30, 1L << 20, 1L << 40);
    long writeBytes = a.bytes("write-bytes", 1L << 20, 4096, 16L << 20);
    int inFlight = a.integer("in-flight", 8, 1, 1024);
    String pattern = a.string("pattern", "sequential");
    int batchBytes = (int) a.bytes("batch-bytes", 1 << 20, 4096, 16 << 20);
    a.requireAllRead();
    if (!pattern.equals("sequential") && !pattern.equals("random")) {
      throw new IllegalArgumentException(
          "--pattern " + pattern + " is not valid; use sequential or random");
    }
    if (bytes % writeBytes != 0) {
      throw new IllegalArgumentException("--bytes must be a multiple of --write-bytes");
    }
    if (Files.exists(directory.resolve("superblock"))) {
      throw new IOException(directory + " already holds a store");
    }
    StoreConfiguration config =
        configuration(directory).logBytes(logBytes).batchBytesMax(batchBytes).build();
    long startNanos = System.nanoTime();
    Store store = Store.open(config);
    try (DataBlocks blocks = new DataBlocks(inFlight, writeBytes, 2)) {
      Volume volume = store.createVolume("recovery", bytes);
      VolumeFiller.fill(volume, blocks, bytes, pattern.equals("random"), 2);
      store.flush().join();
    }
    String result =
        String.format(
            Locale.ROOT,
            "RESULT crash written_bytes=%d write_bytes=%d pattern=%s batch_bytes=%d seconds=%.2f",
            bytes,
            writeBytes,
            pattern,
            batchBytes,
            (System.nanoTime() - startNanos) / 1e9);
    // No close, no checkpoint: the next open replays every batch written above.
    store.abandon();
    System.out.println(result);
    System.out.flush();
    Runtime.getRuntime().halt(0);
    return result;
  }

  private static String open(BenchArguments a) throws IOException {
    Path directory = a.path("store");
    a.requireAllRead();
    StoreConfiguration config = configuration(directory).createIfMissing(false).build();
    long startNanos = System.nanoTime();
    Store store = Store.open(config);
    long openNanos = System.nanoTime() - startNanos;
    RecoveryReport report = store.recoveryReport();
    long extents = 0;
    for (VolumeSummary volume : store.listVolumes()) {
      extents += volume.extentCount();
    }
    long closeStartNanos = System.nanoTime();
    store.close();
    long closeNanos = System.nanoTime() - closeStartNanos;
    System.err.println("recovery: " + report.summary());
    return String.format(
        Locale.ROOT,
        "RESULT open open_seconds=%.4f recovery_seconds=%.4f batches_replayed=%d"
            + " bytes_replayed=%d extents=%d close_seconds=%.4f",
        openNanos / 1e9,
        report.elapsedNanos() / 1e9,
        report.batchesReplayed(),
        report.bytesReplayed(),
        extents,
        closeNanos / 1e9);
  }
}
