package io.unblend.nbd.crash;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code tagged_blocks.py} (test resources, beside this package) under {@code
 * /usr/bin/python3} with libnbd's Python binding, the client a user would script with: its writer
 * sends tagged blocks with FLUSH and FUA and says which generations became durable; its reader
 * reports what every block holds. Output goes to files in a work directory, so no pipe can fill up
 * and stall.
 */
final class TaggedBlockClient {
  static final String PYTHON = "/usr/bin/python3";
  private static final long READY_WAIT_MILLIS = 30_000;
  private static final long EXIT_WAIT_MILLIS = 60_000;

  private final Path script;
  private final Path workDirectory;
  private int runs;

  TaggedBlockClient(Path workDirectory) throws IOException {
    this.workDirectory = workDirectory;
    try {
      this.script =
          Path.of(TaggedBlockClient.class.getResource("tagged_blocks.py").toURI()).toAbsolutePath();
    } catch (URISyntaxException e) {
      throw new IOException("cannot locate tagged_blocks.py", e);
    }
  }

  /** Fails with what to install when the Python binding of libnbd is missing. */
  static void requirePythonLibnbd() throws IOException, InterruptedException {
    Process probe =
        new ProcessBuilder(PYTHON, "-c", "import nbd").redirectErrorStream(true).start();
    String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (probe.waitFor() != 0) {
      throw new AssertionError(
          PYTHON
              + " cannot import nbd; install python3-libnbd (apt-get install python3-libnbd):\n"
              + output);
    }
  }

  /** The writer's settings; see tagged_blocks.py for what each does. */
  record WriterSettings(
      long firstGeneration,
      int blocks,
      int workingSetBlocks,
      int hotBlocks,
      int queueDepth,
      int flushEvery,
      int fuaPercent,
      long seed) {}

  /** Starts a writer and returns once it connected and its opening FLUSH was answered. */
  Writer startWriter(String uri, WriterSettings settings) throws IOException, InterruptedException {
    int run = ++runs;
    Path output = workDirectory.resolve("writer-" + run + ".out");
    Path errors = workDirectory.resolve("writer-" + run + ".err");
    Process process =
        new ProcessBuilder(
                PYTHON,
                script.toString(),
                "write",
                uri,
                "--first-generation",
                Long.toString(settings.firstGeneration()),
                "--blocks",
                Integer.toString(settings.blocks()),
                "--working-set",
                Integer.toString(settings.workingSetBlocks()),
                "--hot",
                Integer.toString(settings.hotBlocks()),
                "--queue-depth",
                Integer.toString(settings.queueDepth()),
                "--flush-every",
                Integer.toString(settings.flushEvery()),
                "--fua-percent",
                Integer.toString(settings.fuaPercent()),
                "--seed",
                Long.toString(settings.seed()),
                "--seconds",
                "120")
            .redirectOutput(output.toFile())
            .redirectError(errors.toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_WAIT_MILLIS);
    while (System.nanoTime() < deadline) {
      if (Files.readString(output, StandardCharsets.UTF_8).startsWith("ready\n")) {
        return new Writer(process, output, errors);
      }
      if (!process.isAlive()) {
        throw new AssertionError(
            "the writer exited with status "
                + process.exitValue()
                + " before it was ready:\n"
                + Files.readString(output, StandardCharsets.UTF_8)
                + Files.readString(errors, StandardCharsets.UTF_8));
      }
      Thread.sleep(5);
    }
    process.destroyForcibly().waitFor();
    throw new AssertionError("the writer was not ready within " + READY_WAIT_MILLIS + " ms");
  }

  /** A running writer. */
  static final class Writer {
    private final Process process;
    private final Path output;
    private final Path errors;

    private Writer(Process process, Path output, Path errors) {
      this.process = process;
      this.output = output;
      this.errors = errors;
    }

    /**
     * Waits for the writer to notice that the server is gone and returns what it wrote and what
     * became durable; fails if it stopped for any other reason.
     */
    WriterLog awaitServerGone() throws IOException, InterruptedException {
      if (!process.waitFor(EXIT_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor();
        throw new AssertionError("the writer did not stop within " + EXIT_WAIT_MILLIS + " ms");
      }
      List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
      String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
      if (process.exitValue() != 0 || !last.startsWith("end dead")) {
        throw new AssertionError(
            "the writer ended with status "
                + process.exitValue()
                + " and \""
                + last
                + "\" instead of losing its connection to the killed server"
                + (lines.stream().anyMatch(line -> line.startsWith("E "))
                    ? ": " + lines.stream().filter(line -> line.startsWith("E ")).toList()
                    : "")
                + "\n"
                + Files.readString(errors, StandardCharsets.UTF_8));
      }
      return WriterLog.parse(lines);
    }
  }

  /** What one writer run sent ({@code W}) and was told is durable ({@code D}). */
  record WriterLog(
      List<long[]> written, List<long[]> durable, long lastGeneration, String summary) {
    static WriterLog parse(List<String> lines) {
      List<long[]> written = new ArrayList<>();
      List<long[]> durable = new ArrayList<>();
      long lastGeneration = 0;
      String summary = "";
      for (String line : lines) {
        String[] fields = line.split(" ");
        switch (fields[0]) {
          case "W" -> {
            long[] pair = {Long.parseLong(fields[1]), Long.parseLong(fields[2])};
            written.add(pair);
            lastGeneration = Math.max(lastGeneration, pair[1]);
          }
          case "D" ->
              durable.add(new long[] {Long.parseLong(fields[1]), Long.parseLong(fields[2])});
          case "end" -> summary = line;
          default -> {
            // "ready" and nothing else.
          }
        }
      }
      return new WriterLog(written, durable, lastGeneration, summary);
    }
  }

  /** What the reader found in one block that is not all zeros. */
  record Observation(int block, char kind, long taggedBlock, long generation, String line) {
    static final char WHOLE = 'B';
    static final char TORN = 'T';
    static final char GARBAGE = 'G';
  }

  /** Reads the whole export: the blocks that are not all zeros, by block index. */
  Map<Integer, Observation> readAll(String uri) throws IOException, InterruptedException {
    int run = ++runs;
    Path output = workDirectory.resolve("reader-" + run + ".out");
    Path errors = workDirectory.resolve("reader-" + run + ".err");
    Process process =
        new ProcessBuilder(PYTHON, script.toString(), "read", uri)
            .redirectOutput(output.toFile())
            .redirectError(errors.toFile())
            .start();
    if (!process.waitFor(EXIT_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("the reader did not finish within " + EXIT_WAIT_MILLIS + " ms");
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          "the reader failed with status "
              + process.exitValue()
              + ":\n"
              + Files.readString(errors, StandardCharsets.UTF_8));
    }
    Map<Integer, Observation> observations = new HashMap<>();
    for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
      String[] fields = line.split(" ");
      int block = Integer.parseInt(fields[1]);
      char kind = fields[0].charAt(0);
      Observation observation =
          kind == Observation.WHOLE
              ? new Observation(
                  block, kind, Long.parseLong(fields[2]), Long.parseLong(fields[3]), line)
              : new Observation(block, kind, -1, -1, line);
      observations.put(block, observation);
    }
    return observations;
  }
}
