package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code unblend} command line, run as a child JVM on this test's class path exactly as the
 * launcher runs it, with {@code --data-dir} of the store under test.
 */
public final class UnblendCli {
  private static final long TIMEOUT_SECONDS = 60;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dataDirectory;

  public UnblendCli(Path dataDirectory) {
    this.dataDirectory = dataDirectory;
  }

  /** What a run printed and how it exited. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    public String describe() {
      return String.join(" ", command)
          + "\nexit code "
          + exitCode
          + "\nstdout:\n"
          + stdout
          + "\nstderr:\n"
          + stderr;
    }

    /** The stdout of a {@code --json} run, parsed. */
    public JsonNode json() {
      try {
        return JSON.readTree(stdout);
      } catch (IOException e) {
        throw new AssertionError("stdout is not JSON:\n" + describe(), e);
      }
    }
  }

  /** Runs {@code unblend ARGUMENTS --data-dir DIR}. */
  public Result run(String... arguments) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.unblend.nbd.cli.UnblendCommand");
    command.addAll(List.of(arguments));
    command.add("--data-dir");
    command.add(dataDirectory.toString());
    try {
      Path stdout = Files.createTempFile("unblend-cli-", ".out");
      Path stderr = Files.createTempFile("unblend-cli-", ".err");
      try {
        Process process =
            new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          fail(String.join(" ", command) + " did not end within " + TIMEOUT_SECONDS + " s");
        }
        return new Result(
            command,
            process.exitValue(),
            Files.readString(stdout, StandardCharsets.UTF_8),
            Files.readString(stderr, StandardCharsets.UTF_8));
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

  /** Runs the command and fails the test, showing its output, unless it exits with 0. */
  public Result runSuccessfully(String... arguments) {
    Result result = run(arguments);
    if (result.exitCode() != 0) {
      fail(result.describe());
    }
    return result;
  }
}
