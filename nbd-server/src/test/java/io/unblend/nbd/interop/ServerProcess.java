package io.unblend.nbd.interop;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real server, {@code unblend serve}, run as a child JVM on this test's class path, listening
 * on a free TCP port of 127.0.0.1 and on a unix socket in its data directory. {@link #start}
 * returns once the server printed its "ready at" lines; {@link #close} stops it with SIGTERM (a
 * graceful drain) and {@link #kill} with SIGKILL, in both cases by the child's own pid.
 *
 * <p>Stores are small (a 512 MiB log in 64 MiB segments) so that tests start in about a second. The
 * segments stay at the default size because a segment must hold the largest request (32 MiB, the
 * advertised maximum block size) plus a batch header.
 */
public final class ServerProcess implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern TCP_READY =
      Pattern.compile("unblend: ready at nbd://([0-9.]+):([0-9]+)/.*");

  private final Process process;
  private final Path dataDirectory;
  private final Path socket;
  private final String host;
  private final int port;
  private final List<String> output;
  private final Thread reader;

  private ServerProcess(
      Process process,
      Path dataDirectory,
      Path socket,
      String host,
      int port,
      List<String> output,
      Thread reader) {
    this.process = process;
    this.reader = reader;
    this.dataDirectory = dataDirectory;
    this.socket = socket;
    this.host = host;
    this.port = port;
    this.output = output;
  }

  /** A server on {@code dataDirectory} (a new store there, or the one a previous run left). */
  public static Builder in(Path dataDirectory) {
    return new Builder(dataDirectory);
  }

  /** What to start; volumes are created when the store does not have them yet. */
  public static final class Builder {
    private final Path dataDirectory;
    private final Map<String, String> volumes = new LinkedHashMap<>();
    private final List<String> extraArguments = new ArrayList<>();
    private String logSize = "512M";
    private String segmentSize = "16M";

    private Builder(Path dataDirectory) {
      this.dataDirectory = dataDirectory;
    }

    /** A volume, {@code size} as the command line takes it (e.g. "64M"). */
    public Builder volume(String name, String size) {
      volumes.put(name, size);
      return this;
    }

    public Builder logSize(String size) {
      logSize = size;
      return this;
    }

    public Builder segmentSize(String size) {
      segmentSize = size;
      return this;
    }

    /** More {@code serve} arguments, e.g. "--max-request", "1M". */
    public Builder arguments(String... arguments) {
      extraArguments.addAll(List.of(arguments));
      return this;
    }

    /** The command line that starts the server (without the TCP port). */
    List<String> command() {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("--enable-native-access=ALL-UNNAMED");
      // The server lives for one test class and is judged on behaviour, not speed: the C1 compiler
      // alone halves its start-up on a small machine that the test JVM keeps busy too.
      command.add("-XX:TieredStopAtLevel=1");
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add("io.unblend.nbd.cli.UnblendCommand");
      command.add("serve");
      command.add("--data-dir");
      command.add(dataDirectory.toString());
      command.add("--socket");
      command.add(dataDirectory.resolve("nbd.sock").toString());
      command.add("--log-size");
      command.add(logSize);
      command.add("--segment-size");
      command.add(segmentSize);
      volumes.forEach(
          (name, size) -> {
            command.add("--volume");
            command.add(name + "=" + size);
          });
      command.addAll(extraArguments);
      return command;
    }

    /**
     * Starts the server on a free port of 127.0.0.1 and waits for its "ready at" lines. Port 0 lets
     * the kernel pick the port, so two test JVMs can never race for one; the server prints the port
     * it bound.
     */
    public ServerProcess start() throws IOException, InterruptedException {
      List<String> command = command();
      command.add("--listen");
      command.add("127.0.0.1:0");
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      List<String> output = new ArrayList<>();
      CompletableFuture<Matcher> tcpReady = new CompletableFuture<>();
      CompletableFuture<Void> unixReady = new CompletableFuture<>();
      Thread reader =
          Thread.ofPlatform()
              .daemon()
              .name("unblend-server-output-" + process.pid())
              .start(() -> readOutput(process, output, tcpReady, unixReady));
      try {
        Matcher tcp = tcpReady.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        unixReady.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return new ServerProcess(
            process,
            dataDirectory,
            dataDirectory.resolve("nbd.sock"),
            tcp.group(1),
            Integer.parseInt(tcp.group(2)),
            output,
            reader);
      } catch (ExecutionException | TimeoutException e) {
        process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        reader.join(STOP_TIMEOUT.toMillis());
        throw new AssertionError(
            "the server did not print its 'ready at' lines within "
                + READY_TIMEOUT
                + " (exit code "
                + (process.isAlive() ? "none, still running" : process.exitValue())
                + "); command: "
                + String.join(" ", command)
                + "\noutput:\n"
                + String.join("\n", snapshot(output)),
            e);
      }
    }
  }

  private static void readOutput(
      Process process,
      List<String> output,
      CompletableFuture<Matcher> tcpReady,
      CompletableFuture<Void> unixReady) {
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        synchronized (output) {
          output.add(line);
        }
        Matcher tcp = TCP_READY.matcher(line);
        if (tcp.matches()) {
          tcpReady.complete(tcp);
        } else if (line.startsWith("unblend: ready at nbd+unix://")) {
          unixReady.complete(null);
        }
      }
    } catch (IOException e) {
      // The pipe closes when the process dies; what it printed so far is in the output.
    }
    IllegalStateException exited = new IllegalStateException("the server's output ended");
    tcpReady.completeExceptionally(exited);
    unixReady.completeExceptionally(exited);
  }

  private static List<String> snapshot(List<String> output) {
    synchronized (output) {
      return List.copyOf(output);
    }
  }

  /** {@code nbd://127.0.0.1:PORT/VOLUME}. */
  public String uri(String volume) {
    return "nbd://" + host + ":" + port + "/" + volume;
  }

  /** {@code nbd+unix:///VOLUME?socket=PATH}. */
  public String unixUri(String volume) {
    return "nbd+unix:///" + volume + "?socket=" + socket;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public Path socket() {
    return socket;
  }

  public Path dataDirectory() {
    return dataDirectory;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Everything the server printed so far (its log goes to stderr, merged here). */
  public String output() {
    return String.join("\n", snapshot(output));
  }

  /** Sends SIGTERM and waits for the process to end; returns its exit code. */
  public int stop() throws InterruptedException {
    // Through the handle: Process.destroy also closes the pipe, losing what the server prints
    // while it stops.
    process.toHandle().destroy();
    return awaitExit("SIGTERM");
  }

  /** Sends SIGKILL (kill -9): nothing is drained, flushed or closed. */
  public int kill() throws InterruptedException {
    process.toHandle().destroyForcibly();
    return awaitExit("SIGKILL");
  }

  private int awaitExit(String signal) throws InterruptedException {
    if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError(
          "server pid "
              + process.pid()
              + " did not exit within "
              + STOP_TIMEOUT
              + " of "
              + signal
              + "; output:\n"
              + output());
    }
    // The process is gone; its last lines are read once the pipe reaches its end.
    reader.join(STOP_TIMEOUT.toMillis());
    return process.exitValue();
  }

  /** Stops the server with SIGTERM if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        stop();
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while stopping server pid " + process.pid(), e);
      }
    }
  }
}
