package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The NBD clients the interop tests drive. A test that needs a missing client fails (it never
 * skips) with a message saying how to install it.
 */
public enum ExternalTool {
  NBDINFO("nbdinfo", "apt-get install libnbd-bin"),
  NBDCOPY("nbdcopy", "apt-get install libnbd-bin"),
  QEMU_IMG("qemu-img", "apt-get install qemu-utils"),
  QEMU_IO("qemu-io", "apt-get install qemu-utils"),
  FIO("fio", "apt-get install fio (Debian's fio has the nbd ioengine, built on libnbd)"),
  PYTHON_LIBNBD(
      "/usr/bin/python3",
      "apt-get install python3-libnbd (the libnbd bindings for /usr/bin/python3)");

  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

  private final String program;
  private final String install;
  private volatile Path checked;

  ExternalTool(String program, String install) {
    this.program = program;
    this.install = install;
  }

  /** The tool's path; fails the test, naming the package to install, when it is missing. */
  public Path require() {
    Path path = checked;
    if (path != null) {
      return path;
    }
    path = find();
    if (path == null) {
      fail(
          program
              + " is not installed, and this interop test needs it; install it with: "
              + install);
    }
    if (this == PYTHON_LIBNBD) {
      Result probe = run(path, CHECK_TIMEOUT, List.of("-c", "import nbd"));
      if (probe.exitCode() != 0) {
        fail(
            "/usr/bin/python3 cannot import the libnbd module nbd; install it with: "
                + install
                + "\n"
                + probe.stderr());
      }
    }
    if (this == FIO) {
      Result probe = run(path, CHECK_TIMEOUT, List.of("--enghelp=nbd"));
      if (!probe.stdout().contains("uri")) {
        fail(
            "this fio has no nbd ioengine (fio --enghelp=nbd does not list 'uri'); install it with: "
                + install
                + "\n"
                + probe.stdout()
                + probe.stderr());
      }
    }
    checked = path;
    return path;
  }

  private Path find() {
    if (program.startsWith("/")) {
      Path path = Path.of(program);
      return Files.isExecutable(path) ? path : null;
    }
    String pathVariable = System.getenv("PATH");
    for (String directory :
        (pathVariable == null ? "/usr/local/bin:/usr/bin:/bin" : pathVariable)
            .split(File.pathSeparator)) {
      Path candidate = Path.of(directory, program);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** Runs the tool with {@code arguments}; fails the test if it does not end within the timeout. */
  public Result run(Duration timeout, String... arguments) {
    return run(require(), timeout, List.of(arguments));
  }

  /** Runs the tool and fails the test, showing its output, unless it exits with 0. */
  public Result runSuccessfully(Duration timeout, String... arguments) {
    Result result = run(timeout, arguments);
    if (result.exitCode() != 0) {
      fail(result.describe());
    }
    return result;
  }

  private static Result run(Path program, Duration timeout, List<String> arguments) {
    List<String> command = new ArrayList<>();
    command.add(program.toString());
    command.addAll(arguments);
    return run(command, timeout);
  }

  /**
   * Runs {@code command} with no input and waits for it, failing the test if it outlives {@code
   * timeout}.
   */
  static Result run(List<String> command, Duration timeout) {
    try {
      Path stdout = Files.createTempFile("unblend-tool-", ".out");
      Path stderr = Files.createTempFile("unblend-tool-", ".err");
      try {
        Process process =
            new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          fail(
              new Result(command, -1, read(stdout), read(stderr)).describe()
                  + "\n(killed: it did not finish within "
                  + timeout
                  + ")");
        }
        return new Result(command, process.exitValue(), read(stdout), read(stderr));
      } finally {
        Files.deleteIfExists(stdout);
        Files.deleteIfExists(stderr);
      }
    } catch (IOException e) {
      throw new AssertionError("could not run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + String.join(" ", command), e);
    }
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  /** What a run of a tool printed, and how it exited. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The stdout of a {@code --json} run, parsed. */
    public JsonNode json() {
      try {
        return JSON.readTree(stdout);
      } catch (IOException e) {
        throw new AssertionError("stdout is not JSON:\n" + describe(), e);
      }
    }

    public String describe() {
      return String.join(" ", command)
          + "\nexit code "
          + exitCode
          + "\nstdout:\n"
          + stdout
          + "\nstderr:\n"
          + stderr;
    }
  }
}
