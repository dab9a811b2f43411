package io.unblend.logstore.crash;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.Volume;
import io.unblend.logstore.layout.Bytes;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The child process of {@link KilledWriterLosesNoFlushedWriteTest}: opens a store in a real
 * directory and writes tagged sectors to a few volumes until it is killed, telling its parent on
 * standard output what it is about to write and what the store has since guaranteed.
 *
 * <p>Each line is one unbuffered write(2) to a pipe, shorter than PIPE_BUF, so it is in the kernel
 * (and reaches the parent) before the store is asked for what the line announces, and a kill never
 * leaves half a line. Lines end in {@code ;}:
 *
 * <pre>
 *   O                              about to open the store
 *   V volume                       volume index exists (created, or found at open)
 *   R                              ready: writing starts
 *   W gen volume sector count fua  about to write count sectors of generation gen
 *   D gen gen ...                  these writes are durable (a flush covering them, or FUA, done)
 *   F gen message                  this write failed
 * </pre>
 *
 * <p>Arguments: the store directory, the first generation to write, a random seed, and the most
 * milliseconds to live (it exits by itself then, in case the parent is gone).
 */
public final class CrashWriter {
  static final int VOLUMES = 4;

  /**
   * Small volumes, so that writes overwrite each other often and whole segments die: the log of
   * {@link #LOG_BYTES} wraps around within a few runs, so kills land while the cleaner moves data.
   */
  static final long VOLUME_BYTES = 128 << 10;

  static final long VOLUME_SECTORS = VOLUME_BYTES / Bytes.SECTOR_BYTES;
  static final int WRITE_SECTORS_MAX = 32;
  static final long LOG_BYTES = 4 << 20;

  /** Writes in flight at once, so that batches group several and several batches are in flight. */
  private static final int WRITES_IN_FLIGHT_MAX = 24;

  private static final int FUA_ONE_IN = 10;
  private static final int FLUSH_ONE_IN = 12;

  private final FileOutputStream out = new FileOutputStream(FileDescriptor.out);
  private final SplittableRandom random;
  private final Volume[] volumes = new Volume[VOLUMES];
  private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
  private final List<Long> completedSinceFlush = new ArrayList<>();
  private final ArrayDeque<PendingFlush> flushes = new ArrayDeque<>();
  private long generation;

  private record Pending(long generation, boolean fua, CompletableFuture<Void> done) {}

  private record PendingFlush(List<Long> covered, CompletableFuture<Void> done) {}

  private CrashWriter(long firstGeneration, long seed) {
    this.generation = firstGeneration;
    this.random = new SplittableRandom(seed);
  }

  static String volumeName(int index) {
    return "crash" + index;
  }

  /**
   * The configuration both the writer and the verifying parent open the store with: a checkpoint
   * every segment, so that kills often land in one.
   */
  static StoreConfiguration configuration(Path directory) {
    return CrashFixtures.directory(directory, LOG_BYTES)
        .checkpointIntervalBytes(CrashFixtures.SEGMENT_BYTES)
        .build();
  }

  public static void main(String[] args) throws Exception {
    Path directory = Path.of(args[0]);
    long firstGeneration = Long.parseLong(args[1]);
    long seed = Long.parseLong(args[2]);
    long deadline = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000;
    CrashWriter writer = new CrashWriter(firstGeneration, seed);
    writer.say("O");
    long startNanos = System.nanoTime();
    try (Store store = Store.open(configuration(directory))) {
      // For the parent's failure messages: where a slow start spent its time.
      System.err.printf(
          "crash writer: store opened in %d ms%n", (System.nanoTime() - startNanos) / 1_000_000);
      writer.run(store, deadline);
    } catch (Throwable t) {
      writer.say("E " + String.valueOf(t).replace('\n', ' '));
      t.printStackTrace();
      System.exit(2);
    }
    // Only reached when the parent did not kill us in time.
    System.exit(3);
  }

  private void run(Store store, long deadline) throws Exception {
    for (int v = 0; v < VOLUMES; v++) {
      Volume volume = store.volume(volumeName(v));
      if (volume == null) {
        volume = store.createVolume(volumeName(v), VOLUME_BYTES);
      }
      volumes[v] = volume;
      say("V " + v);
    }
    System.err.printf("crash writer: volumes ready%n");
    say("R");
    // Buffers live until the garbage collector finds them unreachable, long after their write.
    Arena arena = Arena.ofAuto();
    while (System.nanoTime() < deadline) {
      if (random.nextInt(FLUSH_ONE_IN) == 0) {
        flush();
      } else {
        write(arena);
      }
      reap(inFlight.size() >= WRITES_IN_FLIGHT_MAX);
    }
  }

  /**
   * Writes 1 to {@link #WRITE_SECTORS_MAX} sectors from a random sector, wrapping around the
   * volume's end as a second write: every sector is then overwritten equally often. (Writes that
   * stop at the end cover the edge sectors far less often; with no cleaner, the few old segments
   * those keep alive fill a small log.)
   */
  private void write(Arena arena) throws IOException {
    int v = random.nextInt(VOLUMES);
    int sectors = 1 + random.nextInt(WRITE_SECTORS_MAX);
    long sector = random.nextLong(VOLUME_SECTORS);
    boolean fua = random.nextInt(FUA_ONE_IN) == 0;
    int beforeEnd = (int) Math.min(sectors, VOLUME_SECTORS - sector);
    write(arena, v, sector, beforeEnd, fua);
    if (beforeEnd < sectors) {
      write(arena, v, 0, sectors - beforeEnd, fua);
    }
  }

  private void write(Arena arena, int v, long sector, int sectors, boolean fua) throws IOException {
    long gen = ++generation;
    MemorySegment data = CrashFixtures.tagged(arena, v, sector, sectors, gen);
    say("W " + gen + " " + v + " " + sector + " " + sectors + " " + (fua ? 1 : 0));
    inFlight.add(new Pending(gen, fua, volumes[v].write(sector * Bytes.SECTOR_BYTES, data, fua)));
  }

  /** A flush covers the writes seen complete before it was asked for, and only those. */
  private void flush() throws IOException {
    reap(false);
    List<Long> covered = new ArrayList<>(completedSinceFlush);
    completedSinceFlush.clear();
    flushes.add(new PendingFlush(covered, volumes[random.nextInt(VOLUMES)].flush()));
  }

  /** Reports finished writes and flushes in order; with {@code block}, waits for the oldest. */
  private void reap(boolean block) throws IOException {
    while (!inFlight.isEmpty() && (block || inFlight.peek().done().isDone())) {
      Pending write = inFlight.poll();
      block = false;
      try {
        write.done().get();
        if (write.fua()) {
          say("D " + write.generation());
        } else {
          completedSinceFlush.add(write.generation());
        }
      } catch (ExecutionException | InterruptedException e) {
        say("F " + write.generation() + " " + String.valueOf(e.getCause()).replace('\n', ' '));
      }
    }
    while (!flushes.isEmpty() && flushes.peek().done().isDone()) {
      PendingFlush flush = flushes.poll();
      if (flush.done().isCompletedExceptionally()) {
        say("E flush failed: " + flush.done().exceptionNow());
        continue;
      }
      StringBuilder line = new StringBuilder("D");
      for (long gen : flush.covered()) {
        line.append(' ').append(gen);
        if (line.length() > 3000) {
          say(line.toString());
          line.setLength(1);
        }
      }
      if (line.length() > 1) {
        say(line.toString());
      }
    }
  }

  private void say(String line) throws IOException {
    out.write((line + " ;\n").getBytes(StandardCharsets.UTF_8));
  }
}
