package io.unblend.bench.store;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.StoreLocation;
import io.unblend.logstore.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times {@link Store#createSnapshot} in the store's own JVM, without a server, a socket or a
 * command line: a new store gets one volume with {@code --extents} scattered 4 KiB writes (its map
 * holds about that many extents, and a snapshot walks them to count references), then snapshots of
 * that volume are created until {@code --counts} of them exist, and at each count {@code --samples}
 * more are timed, each deleted again after its timing so that the count holds. Before the first
 * count, {@code --warmups} snapshots are created and deleted untimed, for the JIT.
 *
 * <p>Prints one line per count, {@code RESULT existing=N median_ms=… p90_ms=… max_ms=…}, the
 * seconds each bulk of untimed creations took, and the time of the closing checkpoint, which writes
 * every snapshot's map.
 */
public final class SnapshotCreateBenchmark {
  static final String USAGE =
      """
      usage: SnapshotCreateBenchmark --store DIR [--log-bytes SIZE] [--volume-bytes SIZE]
                                     [--extents N] [--counts 1,100,10000] [--samples N]
                                     [--warmups N]
        DIR must not hold a store yet.
      """;

  private static final String VOLUME = "snapped";
  private static final long BLOCK_BYTES = 4096;

  private SnapshotCreateBenchmark() {}

  public static void main(String[] args) {
    try {
      BenchArguments a = BenchArguments.parse(args, 0);
      run(a);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
    } catch (IOException | RuntimeException e) {
      System.err.println("snapshot benchmark failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  private static void run(BenchArguments a) throws IOException {
    Path directory = a.path("store");
    long logBytes = a.bytes("log-bytes", 1L << 30, 256L << 20, 1L << 40);
    long volumeBytes = a.bytes("volume-bytes", 1L << 30, 1L << 20, 1L << 40);
    int extents = a.integer("extents", 1000, 0, 10_000_000);
    int[] counts = counts(a.string("counts", "1,100,10000"));
    int samples = a.integer("samples", 50, 1, 10_000);
    int warmups = a.integer("warmups", 200, 0, 1_000_000);
    a.requireAllRead();
    if (Files.exists(directory.resolve("superblock"))) {
      throw new IOException(directory + " already holds a store");
    }
    StoreConfiguration config =
        StoreConfiguration.at(new StoreLocation.Directory(directory)).logBytes(logBytes).build();
    Store store = Store.open(config);
    Volume volume = store.createVolume(VOLUME, volumeBytes);
    // Every other block at most, so that no two writes merge into one extent.
    long blocks = volumeBytes / BLOCK_BYTES / 2;
    if (extents > blocks) {
      throw new IllegalArgumentException(
          "--extents " + extents + " needs a volume of at least " + extents * 2 * BLOCK_BYTES);
    }
    try (DataBlocks data = new DataBlocks(1, BLOCK_BYTES, 3)) {
      long stride = blocks / Math.max(1, extents);
      for (int i = 0; i < extents; i++) {
        volume.write(i * stride * 2 * BLOCK_BYTES, data.get(0), false).join();
      }
      store.flush().join();
    }
    // The JIT compiles the snapshot path first, so that the first count is not timed cold.
    for (int i = 0; i < warmups; i++) {
      store.createSnapshot(VOLUME, "warmup");
      store.deleteSnapshot(VOLUME, "warmup");
    }
    int existing = 0;
    for (int count : counts) {
      long bulkStartNanos = System.nanoTime();
      int bulk = 0;
      while (existing < count) {
        store.createSnapshot(VOLUME, "s" + existing);
        existing++;
        bulk++;
      }
      double bulkSeconds = (System.nanoTime() - bulkStartNanos) / 1e9;
      long[] nanos = new long[samples];
      for (int i = 0; i < samples; i++) {
        nanos[i] = timeOneCreation(store, "timed" + i);
        store.deleteSnapshot(VOLUME, "timed" + i);
      }
      Arrays.sort(nanos);
      System.out.printf(
          Locale.ROOT,
          "RESULT existing=%d median_ms=%.3f p90_ms=%.3f max_ms=%.3f extents=%d"
              + " bulk_created=%d bulk_seconds=%.2f%n",
          existing,
          nanos[samples / 2] / 1e6,
          nanos[Math.min(samples - 1, (int) Math.ceil(samples * 0.9) - 1)] / 1e6,
          nanos[samples - 1] / 1e6,
          extents,
          bulk,
          bulkSeconds);
      System.out.flush();
    }
    long closeStartNanos = System.nanoTime();
    store.close();
    System.out.printf(
        Locale.ROOT,
        "RESULT close snapshots=%d close_seconds=%.2f%n",
        existing,
        (System.nanoTime() - closeStartNanos) / 1e9);
  }

  private static long timeOneCreation(Store store, String name) throws StoreException {
    long startNanos = System.nanoTime();
    store.createSnapshot(VOLUME, name);
    return System.nanoTime() - startNanos;
  }

  private static int[] counts(String text) {
    List<Integer> counts = new ArrayList<>();
    int previous = 0;
    for (String part : text.split(",")) {
      int count;
      try {
        count = Integer.parseInt(part.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--counts " + text + " is not valid; use increasing numbers such as 1,100,10000");
      }
      if (count < previous || count > 1_000_000) {
        throw new IllegalArgumentException(
            "--counts " + text + " is not valid; use increasing numbers up to 1000000");
      }
      counts.add(count);
      previous = count;
    }
    return counts.stream().mapToInt(Integer::intValue).toArray();
  }
}
