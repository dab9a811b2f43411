package io.unblend.bench.store;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import io.unblend.logstore.Volume;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives a store prepared by {@link PrepareStore} from several threads and prints one {@code
 * RESULT} line, so that bench/logstore-bench.sh can set it beside fio on the same file system.
 *
 * <ul>
 *   <li>{@code random-write}: each thread keeps {@code --in-flight} writes of {@code --block-bytes}
 *       at random offsets in flight on one of {@code --volumes} volumes; counts writes per second.
 *       With {@code --completion join} each thread blocks on its oldest write ({@link
 *       RandomWriter}); with {@code callback} it reaps completions as an event loop does ({@link
 *       CallbackRandomWriter}).
 *   <li>{@code write-flush}: each thread writes one block, waits, flushes, waits; counts flushes
 *       per second.
 * </ul>
 *
 * <p>Each run creates its volumes, and deletes them before it closes the store: with the closing
 * checkpoint and the next opening one, every segment the run filled is free again for the next run,
 * and the segments stay pre-written.
 */
public final class StoreWriteBenchmark {
  static final String USAGE =
      """
      usage: StoreWriteBenchmark --store DIR [--workload random-write|write-flush] [--threads N]
                                 [--in-flight N] [--volumes N] [--volume-bytes SIZE]
                                 [--block-bytes SIZE] [--seconds S] [--warmup-seconds S]
                                 [--completion join|callback] [--batches-in-flight N]
                                 [--batch-bytes SIZE] [--queue-depth N]
        DIR holds a store made by PrepareStore.
      """;

  /** Log kept free at the end of a run: the store keeps segments in reserve for trims. */
  private static final int RESERVE_SEGMENTS = 8;

  private static final long SEED = 0x6c6f6773746f7265L;

  private StoreWriteBenchmark() {}

  public static void main(String[] args) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    try {
      System.out.println(run(options));
    } catch (IOException | InterruptedException | RuntimeException e) {
      System.err.println("store write benchmark failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  /** The command line, checked at once. */
  record Options(
      Path store,
      String workload,
      int threads,
      int inFlight,
      int volumes,
      long volumeBytes,
      long blockBytes,
      double seconds,
      double warmupSeconds,
      String completion,
      int batchesInFlight,
      int batchBytes,
      int queueDepth) {
    static Options parse(String[] args) {
      BenchArguments a = BenchArguments.parse(args, 0);
      String workload = a.string("workload", "random-write");
      if (!workload.equals("random-write") && !workload.equals("write-flush")) {
        throw new IllegalArgumentException(
            "--workload " + workload + " is not valid; use random-write or write-flush");
      }
      boolean flushes = workload.equals("write-flush");
      Options options =
          new Options(
              a.path("store"),
              workload,
              a.integer("threads", flushes ? 32 : 8, 1, 1024),
              a.integer("in-flight", flushes ? 1 : 4, 1, 1024),
              a.integer("volumes", 4, 1, 64),
              a.bytes("volume-bytes", 512L << 20, 1L << 20, 1L << 40),
              a.bytes("block-bytes", 4096, 4096, 1 << 20),
              a.seconds("seconds", 3, 0.1, 3600),
              a.seconds("warmup-seconds", 1, 0, 3600),
              a.string("completion", "join"),
              a.integer("batches-in-flight", 2, 1, 8),
              (int) a.bytes("batch-bytes", 1 << 20, 4096, 16 << 20),
              a.integer("queue-depth", 128, 8, 4096));
      a.requireAllRead();
      if (!options.completion.equals("join") && !options.completion.equals("callback")) {
        throw new IllegalArgumentException(
            "--completion " + options.completion + " is not valid; use join or callback");
      }
      if (flushes && options.inFlight != 1) {
        throw new IllegalArgumentException("--in-flight must be 1 for --workload write-flush");
      }
      if (options.volumeBytes % options.blockBytes != 0) {
        throw new IllegalArgumentException("--volume-bytes must be a multiple of --block-bytes");
      }
      return options;
    }

    boolean flushes() {
      return workload.equals("write-flush");
    }
  }

  static String run(Options options) throws IOException, InterruptedException {
    StoreConfiguration config =
        StoreConfiguration.at(new StoreLocation.Directory(options.store()))
            .createIfMissing(false)
            .batchesInFlightMax(options.batchesInFlight())
            .batchBytesMax(options.batchBytes())
            .queueDepth(options.queueDepth())
            .build();
    long bytesMax = 0;
    Measured measured;
    String engine;
    try (Store store = Store.open(config)) {
      engine = store.engineName();
      bytesMax = store.logBytes() - (long) RESERVE_SEGMENTS * config.segmentBytes();
      List<Volume> volumes = createVolumes(store, options);
      int buffersPerThread = options.inFlight();
      try (DataBlocks blocks =
          new DataBlocks(options.threads() * buffersPerThread, options.blockBytes(), SEED)) {
        RunControl control = new RunControl();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < options.threads(); t++) {
          Volume volume = volumes.get(t % volumes.size());
          MemorySegment[] buffers = new MemorySegment[buffersPerThread];
          for (int b = 0; b < buffersPerThread; b++) {
            buffers[b] = blocks.get(t * buffersPerThread + b);
          }
          Runnable load;
          if (options.flushes()) {
            load = new WriteFlushLoop(volume, buffers[0], control, SEED + t);
          } else if (options.completion().equals("callback")) {
            load = new CallbackRandomWriter(volume, buffers, control, SEED + t);
          } else {
            load = new RandomWriter(volume, buffers, control, SEED + t);
          }
          threads.add(Thread.ofPlatform().name("bench-load-" + t).unstarted(load));
        }
        threads.forEach(Thread::start);
        try {
          measured = measure(control, options, bytesMax, new CpuMeter());
        } finally {
          control.stop();
          for (Thread thread : threads) {
            thread.join();
          }
        }
        if (control.failure() != null) {
          throw new IOException("a load thread failed", control.failure());
        }
      }
      for (Volume volume : volumes) {
        store.deleteVolume(volume.name());
      }
    }
    return String.format(
        Locale.ROOT,
        "RESULT workload=%s completion=%s engine=%s threads=%d in_flight=%d volumes=%d"
            + " block_bytes=%d operations=%d seconds=%.3f ops_per_second=%.1f mb_per_second=%.2f"
            + " capped=%b storage_thread_cpu=%.2f storage_cpu_us_per_op=%.2f"
            + " process_cpu_us_per_op=%.2f",
        options.workload(),
        options.completion(),
        engine.replace(' ', '_'),
        options.threads(),
        options.inFlight(),
        options.volumes(),
        options.blockBytes(),
        measured.operations(),
        measured.elapsedNanos() / 1e9,
        measured.operations() * 1e9 / measured.elapsedNanos(),
        measured.bytes() * 1e9 / measured.elapsedNanos() / 1e6,
        measured.capped(),
        (double) measured.storageCpuNanos() / measured.elapsedNanos(),
        measured.storageCpuNanos() / 1e3 / Math.max(1, measured.operations()),
        measured.processCpuNanos() / 1e3 / Math.max(1, measured.operations()));
  }

  private static List<Volume> createVolumes(Store store, Options options) throws IOException {
    List<Volume> volumes = new ArrayList<>();
    for (int v = 0; v < options.volumes(); v++) {
      String name = "bench-" + v;
      if (store.volume(name) != null) {
        // Left by a run that failed; its space comes back only after two more checkpoints.
        store.deleteVolume(name);
      }
      volumes.add(store.createVolume(name, options.volumeBytes()));
    }
    return volumes;
  }

  record Measured(
      long operations,
      long bytes,
      long elapsedNanos,
      boolean capped,
      long storageCpuNanos,
      long processCpuNanos) {}

  /**
   * Lets the load warm up, then counts for the timed seconds, ending early before the log would run
   * out of free segments (the store has no cleaner yet, so a run must fit in the log).
   */
  private static Measured measure(RunControl control, Options options, long bytesMax, CpuMeter cpu)
      throws IOException {
    sleepUntil(control, System.nanoTime() + seconds(options.warmupSeconds()), bytesMax);
    long operationsBefore = control.operations.sum();
    long bytesBefore = control.bytes.sum();
    long startNanos = System.nanoTime();
    cpu.start();
    boolean capped = sleepUntil(control, startNanos + seconds(options.seconds()), bytesMax);
    cpu.stop();
    long endNanos = System.nanoTime();
    long operations = control.operations.sum() - operationsBefore;
    System.err.println("CPU us/op by thread (JVM threads only): " + cpu.perThread(operations));
    long bytes = control.bytes.sum() - bytesBefore;
    if (control.failure() != null) {
      throw new IOException("a load thread failed", control.failure());
    }
    if (capped && endNanos - startNanos < seconds(options.seconds()) / 4) {
      throw new IOException(
          "the log filled up after "
              + (endNanos - startNanos) / 1_000_000
              + " ms of timing; prepare a larger log (PrepareStore --log-bytes)");
    }
    return new Measured(
        operations, bytes, endNanos - startNanos, capped, cpu.storageNanos(), cpu.processNanos());
  }

  /** Returns true when the byte limit ended the wait before the deadline. */
  private static boolean sleepUntil(RunControl control, long deadlineNanos, long bytesMax) {
    while (true) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0 || control.failure() != null) {
        return false;
      }
      if (control.bytes.sum() >= bytesMax) {
        return true;
      }
      LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
    }
  }

  private static long seconds(double seconds) {
    return (long) (seconds * 1e9);
  }
}
