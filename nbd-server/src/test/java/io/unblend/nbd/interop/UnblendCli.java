package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code unblend} command line, run as a child JVM on this test's class path exactly as the
 * launcher runs it, with {@code --data-dir} of the store under test.
 */
public final class UnblendCli {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final Path dataDirectory;

  public UnblendCli(Path dataDirectory) {
    this.dataDirectory = dataDirectory;
  }

  /** Runs {@code unblend ARGUMENTS --data-dir DIR}. */
  public ExternalTool.Result run(String... arguments) {
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
    return ExternalTool.run(command, TIMEOUT);
  }

  /** Runs the command and fails the test, showing its output, unless it exits with 0. */
  public ExternalTool.Result runSuccessfully(String... arguments) {
    ExternalTool.Result result = run(arguments);
    if (result.exitCode() != 0) {
      fail(result.describe());
    }
    return result;
  }
}
