package io.unblend.nativeio;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Runs a system command for a test's setup; a failure says what the test needs to run. */
final class SystemCommand {
  private SystemCommand() {}

  /**
   * Runs {@code command} and returns its trimmed output.
   *
   * @param requirement what the test needs, for the failure message (e.g. "root and losetup")
   */
  static String run(String requirement, String... command)
      throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes()).trim();
    if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IllegalStateException(
          String.join(" ", command) + " failed: " + output + " (" + requirement + ")");
    }
    return output;
  }
}
