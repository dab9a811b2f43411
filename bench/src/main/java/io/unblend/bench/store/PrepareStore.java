package io.unblend.bench.store;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import io.unblend.logstore.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Makes a store for {@link StoreWriteBenchmark} whose log has been written through once, as a
 * store's log is after its first pass: fio's reference file is pre-written too, and on ext4 writing
 * into fallocated (unwritten) extents is slower than overwriting. It fills all but a few segments
 * through a scratch volume with 1 MiB writes (which also marks those segments pre-written in the
 * segment table), deletes the volume, and leaves the store idle for a moment so that it pre-writes
 * the remaining segments itself before it closes.
 */
public final class PrepareStore {
  static final String USAGE =
      """
      usage: PrepareStore --store DIR [--log-bytes SIZE] [--segment-bytes SIZE]
        DIR must not hold a store yet.
      """;

  private static final int FILL_WRITE_BYTES = 1 << 20;
  private static final int FILL_IN_FLIGHT = 8;

  /** Segments left unfilled: the store keeps free segments in reserve for trims and deletes. */
  private static final int UNFILLED_SEGMENTS = 4;

  private static final long IDLE_NANOS_PER_UNFILLED_SEGMENT = 500_000_000L;

  private PrepareStore() {}

  public static void main(String[] args) {
    Path directory;
    long logBytes;
    int segmentBytes;
    try {
      BenchArguments a = BenchArguments.parse(args, 0);
      directory = a.path("store");
      logBytes = a.bytes("log-bytes", 6L << 30, 256L << 20, 1L << 40);
      segmentBytes = (int) a.bytes("segment-bytes", 64L << 20, 4L << 20, 1L << 30);
      a.requireAllRead();
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    try {
      System.out.println(prepare(directory, logBytes, segmentBytes));
    } catch (IOException | RuntimeException e) {
      System.err.println("preparing the store failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  static String prepare(Path directory, long logBytes, int segmentBytes) throws IOException {
    if (Files.exists(directory.resolve("superblock"))) {
      throw new IOException(directory + " already holds a store");
    }
    StoreConfiguration config =
        StoreConfiguration.at(new StoreLocation.Directory(directory))
            .logBytes(logBytes)
            .segmentBytes(segmentBytes)
            .build();
    long startNanos = System.nanoTime();
    long segmentCount = logBytes / segmentBytes;
    // A 1 MiB write fills a batch of its own: 1 MiB of data after one header block.
    long batchesPerSegment = segmentBytes / (FILL_WRITE_BYTES + 4096L);
    long fillBytes = (segmentCount - UNFILLED_SEGMENTS) * batchesPerSegment * FILL_WRITE_BYTES;
    if (fillBytes <= 0) {
      throw new IOException("a log of " + logBytes + " bytes is too small to prepare");
    }
    try (Store store = Store.open(config);
        DataBlocks blocks = new DataBlocks(FILL_IN_FLIGHT, FILL_WRITE_BYTES, 1)) {
      Volume scratch = store.createVolume("prepare-fill", fillBytes);
      VolumeFiller.fill(scratch, blocks, fillBytes, false, 1);
      store.flush().join();
      store.deleteVolume(scratch.name());
      // Idle, the storage thread pre-writes the segments that the fill did not reach.
      Thread.sleep(IDLE_NANOS_PER_UNFILLED_SEGMENT * UNFILLED_SEGMENTS / 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return String.format(
        Locale.ROOT,
        "RESULT prepared log_bytes=%d segment_bytes=%d filled_bytes=%d seconds=%.1f",
        logBytes,
        segmentBytes,
        fillBytes,
        (System.nanoTime() - startNanos) / 1e9);
  }
}
