package io.unblend.nbd.crash;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real server, {@code unblend serve}, in a JVM of its own, so that it can be killed like a
 * crashed process: it runs the CLI's main class on this JVM's class path, listens on a port the
 * kernel picks, and appends its output to a log file that survives restarts.
 */
final class ServerProcess {
  private static final Pattern READY = Pattern.compile("unblend: ready at (nbd://\\S+)");
  private static final long READY_WAIT_MILLIS = 60_000;
  private static final long EXIT_WAIT_MILLIS = 30_000;

  private final Process process;
  private final Path logFile;
  private final String uri;

  private ServerProcess(Process process, Path logFile, String uri) {
    this.process = process;
    this.logFile = logFile;
    this.uri = uri;
  }

  /**
   * Starts {@code unblend serve} with these arguments (after {@code --listen 127.0.0.1:0}) and
   * returns once it printed the address it serves; fails with its output if it exits first.
   */
  static ServerProcess start(Path logFile, List<String> serveArguments)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-cp");
    command.add(testClassPath());
    command.add("io.unblend.nbd.cli.UnblendCommand");
    command.add("serve");
    command.add("--listen");
    command.add("127.0.0.1:0");
    command.addAll(serveArguments);

    long logBytesBefore = Files.exists(logFile) ? Files.size(logFile) : 0;
    Files.writeString(
        logFile,
        "---- " + String.join(" ", command.subList(4, command.size())) + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .start();

    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_WAIT_MILLIS);
    while (System.nanoTime() < deadline) {
      Matcher ready = READY.matcher(newOutput(logFile, logBytesBefore));
      if (ready.find()) {
        return new ServerProcess(process, logFile, ready.group(1));
      }
      if (!process.isAlive()) {
        throw new AssertionError(
            "the server exited with status "
                + process.exitValue()
                + " before it was ready:\n"
                + newOutput(logFile, logBytesBefore));
      }
      Thread.sleep(10);
    }
    process.destroyForcibly().waitFor();
    throw new AssertionError(
        "the server was not ready within "
            + READY_WAIT_MILLIS
            + " ms:\n"
            + newOutput(logFile, logBytesBefore));
  }

  /** The export's URI, {@code nbd://127.0.0.1:PORT/VOLUME}. */
  String uri() {
    return uri;
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or checkpointed. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    awaitExit("SIGKILL");
  }

  /** SIGTERM: the server drains, checkpoints and closes the store. */
  void stop() throws InterruptedException {
    process.destroy();
    awaitExit("SIGTERM");
  }

  /** The last lines the server printed in all its runs, for failure messages. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e.getMessage() + ")";
    }
  }

  private void awaitExit(String signal) throws InterruptedException {
    if (!process.waitFor(EXIT_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError(
          "the server (pid "
              + process.pid()
              + ") outlived "
              + signal
              + " by "
              + EXIT_WAIT_MILLIS
              + " ms:\n"
              + logTail(40));
    }
  }

  /**
   * Surefire may hand the tests a manifest-only jar as {@code java.class.path}; the child JVM
   * follows that jar's Class-Path just as well, but the real path is clearer in a process listing.
   */
  private static String testClassPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isEmpty()
        ? surefire
        : System.getProperty("java.class.path");
  }

  private static String newOutput(Path logFile, long fromByte) throws IOException {
    byte[] all = Files.readAllBytes(logFile);
    int from = (int) Math.min(fromByte, all.length);
    return new String(all, from, all.length - from, StandardCharsets.UTF_8);
  }
}
