package io.unblend.logstore.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.ChildJvm;
import io.unblend.logstore.Store;
import io.unblend.logstore.Volume;
import io.unblend.logstore.checkpoint.Recovery;
import io.unblend.logstore.checkpoint.RecoveryReport;
import io.unblend.logstore.crash.CrashFixtures.Tag;
import io.unblend.logstore.layout.Bytes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM ({@link CrashWriter}) writes tagged sectors to a store on real files, with flushes
 * and FUA writes, and is killed with SIGKILL at a random moment, many times over: mostly 50 to 500
 * ms after its first write became durable, every fourth run within 300 ms of starting to open the
 * store (recovery, the first checkpoint, creating volumes). Background checkpoints come every
 * segment, so kills land in those too. After each kill the store is reopened here and every sector
 * of every volume is checked:
 *
 * <ul>
 *   <li>a sector that a completed flush or FUA write guaranteed reads that generation or a later
 *       one the child wrote to it, never an older one, zeros or garbage;
 *   <li>any sector reads zeros, or a generation the child wrote to exactly that volume and sector;
 *   <li>what survived of the last run is a prefix of its writes, sector by sector in the order they
 *       were submitted: recovery replays a prefix of the log, and the log is in submission order;
 *   <li>what one recovery found stays: the next run starts from it, and later checks hold it as the
 *       floor.
 * </ul>
 *
 * <p>The limit of this test: SIGKILL ends the process, not the machine. Whatever the child wrote
 * before it died is in the page cache or already on the device and stays readable, so a missing or
 * misplaced fdatasync goes unnoticed here. Power cuts, which lose unsynced writes, are the
 * simulated disk's tests' job ({@code TornLastBatchIsDiscardedTest} and the store round trip).
 *
 * <p>It runs {@value #DEFAULT_CYCLES} kill cycles; {@code -Dunblend.crash.cycles=200} runs more.
 * Each run prints its seed; {@code -Dunblend.crash.seed=N} repeats one (the kill moments are timed,
 * so a repeat is similar, not identical).
 */
class KilledWriterLosesNoFlushedWriteTest {
  private static final int DEFAULT_CYCLES = 10;

  /** Every this many runs one is killed while it opens the store; the others while they write. */
  private static final int KILL_WHILE_OPENING_EVERY = 4;

  /** How long the child may take to reach the moment its kill is timed from. */
  private static final long MOMENT_SECONDS_MAX = 60;

  private static final long CHILD_LIFETIME_MILLIS_MAX = 60_000;
  private static final long GENERATIONS_PER_CYCLE = 1L << 40;
  private static final int SIGKILL_EXIT_STATUS = 128 + 9;

  @TempDir Path folder;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void everyFlushedWriteSurvivesSigkillAtRandomMoments() throws Exception {
    long seed = Long.getLong("unblend.crash.seed", System.nanoTime());
    int cycles = Integer.getInteger("unblend.crash.cycles", DEFAULT_CYCLES);
    System.out.println(
        "KilledWriterLosesNoFlushedWriteTest: seed " + seed + ", " + cycles + " cycles");
    SplittableRandom random = new SplittableRandom(seed);
    Path directory = folder.resolve("store");
    Model model = new Model();
    long startedNanos = System.nanoTime();
    for (int cycle = 1; cycle <= cycles; cycle++) {
      String context = "seed " + seed + ", cycle " + cycle;
      ChildRun run = runAndKill(directory, cycle, random, context);
      model.learn(run, context);
      verify(directory, model, run, context);
    }
    System.out.printf(
        "KilledWriterLosesNoFlushedWriteTest: %d cycles in %d ms, %d writes, %d guaranteed,"
            + " %d batches replayed, %d recoveries stopped at a corrupt batch%n",
        cycles,
        (System.nanoTime() - startedNanos) / 1_000_000,
        model.intents.size(),
        model.guaranteedWrites,
        model.batchesReplayed,
        model.corruptStops);
    // Each writing run waits for a guarantee before its kill; this checks that they were counted.
    assertThat(model.guaranteedWrites).as("writes guaranteed over all cycles").isPositive();
  }

  /** One child run: what it announced, in order, and when it was killed. */
  private record ChildRun(int cycle, List<String> lines, Moment moment, long killedAfterMillis) {}

  /** What the kill is timed from: a line of the child's, then a random delay. */
  private enum Moment {
    /** The first write made durable: the child is writing at full speed. */
    FIRST_GUARANTEE("D ", 50, 500),
    /** The child is about to open the store: the kill may hit recovery or the first checkpoint. */
    OPENING("O ;", 0, 300);

    final String linePrefix;
    final long delayMillisMin;
    final long delayMillisMax;

    Moment(String linePrefix, long delayMillisMin, long delayMillisMax) {
      this.linePrefix = linePrefix;
      this.delayMillisMin = delayMillisMin;
      this.delayMillisMax = delayMillisMax;
    }

    @Override
    public String toString() {
      return this == OPENING ? "it began opening the store" : "its first guarantee";
    }
  }

  private ChildRun runAndKill(Path directory, int cycle, SplittableRandom random, String context)
      throws Exception {
    Path stderr = folder.resolve("child-" + cycle + ".stderr");
    // The engine choice and other native-io settings of this run apply to the child too.
    List<String> command =
        ChildJvm.command(
            "256m",
            CrashWriter.class,
            directory.toString(),
            Long.toString(cycle * GENERATIONS_PER_CYCLE),
            Long.toString(random.nextLong()),
            Long.toString(CHILD_LIFETIME_MILLIS_MAX));
    Moment moment = cycle % KILL_WHILE_OPENING_EVERY == 0 ? Moment.OPENING : Moment.FIRST_GUARANTEE;
    long delayMillis = random.nextLong(moment.delayMillisMin, moment.delayMillisMax + 1);

    Process child = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    List<String> lines = new ArrayList<>();
    CountDownLatch reached = new CountDownLatch(1);
    Thread reader =
        Thread.ofPlatform()
            .name("crash-writer-" + cycle)
            .start(
                () -> {
                  try (BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                      synchronized (lines) {
                        lines.add(line);
                      }
                      if (line.startsWith(moment.linePrefix)) {
                        reached.countDown();
                      }
                    }
                  } catch (IOException e) {
                    synchronized (lines) {
                      lines.add("reading the child's output failed: " + e);
                    }
                  }
                });
    try {
      // Timing the kill from a line of the child's rather than from its start keeps slow JVM
      // starts on a busy machine from eating the writing time, and catches a store that accepts
      // writes but never makes one durable.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MOMENT_SECONDS_MAX);
      while (!reached.await(20, TimeUnit.MILLISECONDS)) {
        if (!child.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError(
              context
                  + ": the child did not reach "
                  + moment
                  + " within "
                  + MOMENT_SECONDS_MAX
                  + " s; "
                  + childStatus(child, stderr)
                  + "\n"
                  + threadDump(child));
        }
      }
      Thread.sleep(delayMillis);
      if (!child.isAlive()) {
        throw new AssertionError(
            context + ": the child ended early; " + childStatus(child, stderr));
      }
    } finally {
      // Through the handle, not Process.destroyForcibly(), which also closes our end of the pipe
      // and so throws away lines the child wrote but we had not read yet.
      child.toHandle().destroyForcibly();
      child.waitFor();
      reader.join();
    }
    // On Linux a forcible destroy is SIGKILL, which the exit status 137 confirms.
    assertThat(child.exitValue())
        .as("%s: exit status of the killed child; %s", context, childStatus(child, stderr))
        .isEqualTo(SIGKILL_EXIT_STATUS);
    synchronized (lines) {
      return new ChildRun(cycle, List.copyOf(lines), moment, delayMillis);
    }
  }

  /** The child's threads, for a child that seems stuck; jcmd comes with every JDK. */
  private static String threadDump(Process child) {
    if (!child.isAlive()) {
      return "";
    }
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process dump =
          new ProcessBuilder(jcmd.toString(), Long.toString(child.pid()), "Thread.print")
              .redirectErrorStream(true)
              .start();
      String threads = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      dump.waitFor(10, TimeUnit.SECONDS);
      return "threads of the child:\n" + threads;
    } catch (IOException e) {
      return "(no thread dump: " + jcmd + " failed: " + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(no thread dump: interrupted)";
    }
  }

  private static String childStatus(Process child, Path stderr) {
    String status = child.isAlive() ? "still running" : "exit status " + child.exitValue();
    String errors;
    try {
      List<String> all = Files.exists(stderr) ? Files.readAllLines(stderr) : List.of();
      errors = String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
    } catch (IOException e) {
      errors = "(stderr unreadable: " + e + ")";
    }
    return status + ", stderr:\n" + errors;
  }

  /** A write the child announced. */
  private record Intent(long generation, int volume, long sector, int sectors, int cycle) {
    boolean covers(int v, long s) {
      return v == volume && s >= sector && s < sector + sectors;
    }
  }

  /** What the parent knows: every write announced, and what each sector must at least read. */
  private static final class Model {
    final Map<Long, Intent> intents = new HashMap<>();
    final long[][] floor = new long[CrashWriter.VOLUMES][(int) CrashWriter.VOLUME_SECTORS];
    final boolean[] volumeAnnounced = new boolean[CrashWriter.VOLUMES];
    List<Intent> cycleIntents = List.of();
    Set<Long> cycleFailed = Set.of();
    long guaranteedWrites;
    long cycleGuaranteed;
    long batchesReplayed;
    long corruptStops;

    /** Takes in a run's announcements; guaranteed writes raise the floor of their sectors. */
    void learn(ChildRun run, String context) {
      List<Intent> announced = new ArrayList<>();
      Set<Long> failed = new HashSet<>();
      List<Long> durable = new ArrayList<>();
      for (String line : run.lines()) {
        if (!line.endsWith(" ;")) {
          throw new AssertionError(context + ": malformed line from the child: " + line);
        }
        String[] words = line.substring(0, line.length() - 2).split(" ");
        switch (words[0]) {
          case "V" -> volumeAnnounced[Integer.parseInt(words[1])] = true;
          case "O", "R" -> {}
          case "W" -> {
            Intent intent =
                new Intent(
                    Long.parseLong(words[1]),
                    Integer.parseInt(words[2]),
                    Long.parseLong(words[3]),
                    Integer.parseInt(words[4]),
                    run.cycle());
            announced.add(intent);
            intents.put(intent.generation(), intent);
          }
          case "D" -> {
            for (int i = 1; i < words.length; i++) {
              durable.add(Long.parseLong(words[i]));
            }
          }
          case "F" -> failed.add(Long.parseLong(words[1]));
          default -> throw new AssertionError(context + ": the child reported " + line);
        }
      }
      // A failed write is an outside answer (ENOSPC, EIO), not a durability question; this
      // workload is sized so that none fails, so one failing means something to look at.
      assertThat(failed)
          .as(
              "%s: writes that failed: %s",
              context, run.lines().stream().filter(line -> line.startsWith("F ")).limit(3).toList())
          .isEmpty();
      for (long gen : durable) {
        Intent intent = intents.get(gen);
        assertThat(intent)
            .as("%s: guaranteed generation %d was announced", context, gen)
            .isNotNull();
        for (int i = 0; i < intent.sectors(); i++) {
          long[] sectors = floor[intent.volume()];
          int s = (int) (intent.sector() + i);
          sectors[s] = Math.max(sectors[s], gen);
        }
      }
      guaranteedWrites += durable.size();
      cycleGuaranteed = durable.size();
      cycleIntents = announced;
      cycleFailed = failed;
    }
  }

  /** Reopens the store here, checks every sector against the model, and closes it cleanly. */
  private static void verify(Path directory, Model model, ChildRun run, String context)
      throws Exception {
    long[][] observed = new long[CrashWriter.VOLUMES][(int) CrashWriter.VOLUME_SECTORS];
    RecoveryReport report;
    try (Store store = Store.open(CrashWriter.configuration(directory));
        Arena arena = Arena.ofShared()) {
      report = store.recoveryReport();
      context =
          context
              + " (killed "
              + run.killedAfterMillis()
              + " ms after "
              + run.moment()
              + ", "
              + model.cycleIntents.size()
              + " writes announced, "
              + model.cycleGuaranteed
              + " guaranteed; "
              + report.summary()
              + ")";
      MemorySegment buffer = arena.allocate(CrashWriter.VOLUME_BYTES, Bytes.BLOCK_BYTES);
      for (int v = 0; v < CrashWriter.VOLUMES; v++) {
        Volume volume = store.volume(CrashWriter.volumeName(v));
        if (volume == null) {
          assertThat(model.volumeAnnounced[v])
              .as("%s: volume %d was created, durably, and is gone", context, v)
              .isFalse();
          continue;
        }
        assertThat(volume.sizeBytes()).as(context).isEqualTo(CrashWriter.VOLUME_BYTES);
        CrashFixtures.await(volume.read(0, buffer));
        for (int s = 0; s < CrashWriter.VOLUME_SECTORS; s++) {
          observed[v][s] = checkSector(model, v, s, Tag.of(buffer, s), context);
        }
      }
    }
    System.out.println(context);
    checkPrefix(model, observed, context);
    model.batchesReplayed += report.batchesReplayed();
    if (report.stopReason().startsWith(Recovery.CORRUPT)) {
      model.corruptStops++;
    }
    // This open made what it recovered durable: from now on it is the least each sector reads.
    for (int v = 0; v < CrashWriter.VOLUMES; v++) {
      System.arraycopy(observed[v], 0, model.floor[v], 0, observed[v].length);
    }
  }

  /** Checks one sector; returns the generation it holds (0 for zeros). */
  private static long checkSector(Model model, int v, int s, Tag tag, String context) {
    String where = context + ": volume " + v + " sector " + s;
    long floor = model.floor[v][s];
    if (tag.isGarbage()) {
      throw new AssertionError(where + " holds garbage (guaranteed generation " + floor + ")");
    }
    if (tag.isZeros()) {
      if (floor != 0) {
        throw new AssertionError(
            where + " reads zeros, but generation " + floor + " was guaranteed");
      }
      return 0;
    }
    if (tag.volume() != v || tag.sector() != s) {
      throw new AssertionError(where + " holds " + tag + ", another sector's data");
    }
    Intent intent = model.intents.get(tag.generation());
    if (intent == null || !intent.covers(v, s)) {
      throw new AssertionError(where + " holds " + tag + ", which was never written there");
    }
    if (tag.generation() < floor) {
      throw new AssertionError(
          where
              + " went back to generation "
              + tag.generation()
              + " from "
              + floor
              + ", "
              + intent);
    }
    return tag.generation();
  }

  /**
   * What survived of the last run must be a prefix of its sector writes in submission order: one
   * cut such that every sector write before it is there (unless a later write covered it) and none
   * after it is.
   */
  private static void checkPrefix(Model model, long[][] observed, String context) {
    long index = 0;
    long lowest = -1;
    Intent lowestBy = null;
    long highest = Long.MAX_VALUE;
    Intent highestBy = null;
    for (Intent intent : model.cycleIntents) {
      boolean uncertain = model.cycleFailed.contains(intent.generation());
      for (int i = 0; i < intent.sectors(); i++, index++) {
        long seen = observed[intent.volume()][(int) (intent.sector() + i)];
        if (seen == intent.generation() && index > lowest) {
          lowest = index;
          lowestBy = intent;
        } else if (seen < intent.generation() && !uncertain && index < highest) {
          highest = index;
          highestBy = intent;
        }
      }
    }
    if (lowest >= highest) {
      throw new AssertionError(
          context
              + ": what survived is not a prefix of the writes: "
              + lowestBy
              + " is there, but the earlier "
              + highestBy
              + " is not (sector writes "
              + lowest
              + " and "
              + highest
              + ")");
    }
  }
}
