package io.unblend.nbd.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.unblend.nbd.crash.TaggedBlockClient.Observation;
import io.unblend.nbd.crash.TaggedBlockClient.WriterLog;
import io.unblend.nbd.crash.TaggedBlockClient.WriterSettings;
import io.unblend.nbd.interop.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NBD durability contract across real crashes of the real server: the data of a write survives
 * a SIGKILL once its FUA reply, or the reply of a FLUSH sent after its own reply, was received; a
 * block then reads that data or a later write's, never zeros, garbage, another block's data, a torn
 * block, or a generation the server had already lost in an earlier crash.
 *
 * <p>Each cycle starts {@code unblend serve} as a child process on the same data directory, reads
 * every block back with libnbd's Python binding and checks it against {@link DurabilityModel}, then
 * drives tagged 4 KiB writes at random offsets (some with FUA, a FLUSH every 32 writes, 16 in
 * flight) and kills the server with SIGKILL at a random moment while they run. The writer prints
 * each (block, generation) once it is known durable.
 *
 * <p>What this cannot catch: SIGKILL ends the process, not the machine, so the page cache and the
 * disk's volatile cache survive, and a missing or misplaced {@code fdatasync} goes unnoticed here.
 * The simulated power cuts of logstore's crash tests (on {@code SimulatedIoEngine}) cover that.
 * This test covers what a power cut on a simulated disk cannot: the NBD layer answering FLUSH and
 * FUA only after the store made the writes durable, recovery of a store killed mid-batch by the
 * kernel, and the restart of the whole server on it.
 *
 * <p>System properties: {@code unblend.crash.cycles} (kills, default 6), {@code unblend.crash.seed}
 * (default: random, printed), {@code unblend.crash.killMillisMax} (the longest the load runs before
 * the kill, default 1500).
 */
class KilledServerLosesNoFlushedWriteTest {
  private static final int BLOCK_BYTES = 4096;
  private static final long VOLUME_BYTES = 64L << 20;
  private static final String VOLUME = "v";

  @TempDir Path folder;

  /** The server running now; killed after the test, whatever its outcome. */
  private ServerProcess server;

  @AfterEach
  void killTheServerLeftRunning() throws InterruptedException {
    if (server != null) {
      server.kill();
    }
  }

  @Test
  void everyWriteAcknowledgedAsDurableSurvivesSigkillOfTheServer() throws Exception {
    TaggedBlockClient.requirePythonLibnbd();
    int cycles = Integer.getInteger("unblend.crash.cycles", 6);
    long seed = Long.getLong("unblend.crash.seed", new Random().nextLong());
    int killMillisMax = Integer.getInteger("unblend.crash.killMillisMax", 1500);
    Random random = new Random(seed);
    String reproduce = " (reproduce with -Dunblend.crash.seed=" + seed + ")";
    System.out.println(
        "KilledServerLosesNoFlushedWriteTest: seed " + seed + ", " + cycles + " kills");

    Path dataDirectory = folder.resolve("data");
    Path work = Files.createDirectories(folder.resolve("work"));
    TaggedBlockClient client = new TaggedBlockClient(work);
    DurabilityModel model = new DurabilityModel();

    server = startServer(dataDirectory);
    for (int cycle = 1; cycle <= cycles; cycle++) {
      WriterSettings settings =
          new WriterSettings(
              model.nextGeneration(),
              /* blocks= */ (int) (VOLUME_BYTES / BLOCK_BYTES),
              /* workingSetBlocks= */ 2048,
              /* hotBlocks= */ 128,
              /* queueDepth= */ 16,
              /* flushEvery= */ 32,
              /* fuaPercent= */ 5,
              random.nextLong());
      TaggedBlockClient.Writer writer = client.startWriter(server.uri(VOLUME), settings);
      Thread.sleep(random.nextInt(killMillisMax + 1));
      server.kill();
      WriterLog log = writer.awaitServerGone();
      model.record(log);
      System.out.println(
          "cycle " + cycle + ": killed the server (pid " + server.pid() + ") at " + log.summary());

      server = startServer(dataDirectory);
      Map<Integer, Observation> observations = client.readAll(server.uri(VOLUME));
      List<String> problems = model.problems(observations);
      if (!problems.isEmpty()) {
        fail(
            "after kill %d of %d%s the restarted server breaks the contract in %d blocks:%n%s%n"
                + "server log:%n%s",
            cycle,
            cycles,
            reproduce,
            problems.size(),
            String.join("\n", problems.subList(0, Math.min(20, problems.size()))),
            lastLines(server.output(), 30));
      }
      model.restartedServing(observations);
    }
    server.stop();
    server = null;

    assertThat(model.durableWrites())
        .as("writes acknowledged as durable over %d kills (none: the test proved nothing)", cycles)
        .isPositive();
    System.out.println(
        "KilledServerLosesNoFlushedWriteTest: "
            + model.writes()
            + " writes, "
            + model.durableWrites()
            + " acknowledged as durable, over "
            + cycles
            + " kills; every block read back as the contract allows");
  }

  private static ServerProcess startServer(Path dataDirectory)
      throws IOException, InterruptedException {
    return ServerProcess.in(dataDirectory)
        .volume(VOLUME, "64M")
        .logSize("256M")
        .segmentSize("16M")
        .start();
  }

  private static String lastLines(String text, int count) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
  }
}
