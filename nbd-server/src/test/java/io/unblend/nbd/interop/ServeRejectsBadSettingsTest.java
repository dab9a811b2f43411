package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.layout.StoreLayout;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code unblend serve} with a setting it cannot use stops at once with a usage error (exit code 2)
 * whose message names the option to fix, not a stack trace naming an internal setting (docs/STYLE:
 * configuration errors get a message that names what to fix; every limit is checked at start-up).
 */
class ServeRejectsBadSettingsTest {
  private static final long EXIT_TIMEOUT_SECONDS = 10;

  @TempDir Path dataDirectory;

  private record Outcome(boolean exited, int exitCode, String output) {}

  private Outcome serve(String... settings) throws IOException, InterruptedException {
    return serve(ServerProcess.in(dataDirectory).volume("vol", "16M").arguments(settings));
  }

  private Outcome serve(ServerProcess.Builder builder) throws IOException, InterruptedException {
    List<String> command = builder.command();
    command.addAll(List.of("--listen", "127.0.0.1:0"));
    Path output = dataDirectory.resolve("serve.out");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    process.getOutputStream().close();
    boolean exited = process.waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly().waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    return new Outcome(
        exited,
        exited ? process.exitValue() : -1,
        Files.readString(output, StandardCharsets.UTF_8));
  }

  private static void assertUsageError(Outcome outcome, String option) {
    assertThat(outcome.exited()).as("exited at once; output:\n%s", outcome.output()).isTrue();
    assertThat(outcome.exitCode()).as("usage error; output:\n%s", outcome.output()).isEqualTo(2);
    // picocli prints the message, then the usage (which names every option).
    String message = outcome.output().split("Usage:", 2)[0];
    assertThat(message).contains(option).doesNotContain("\tat ");
  }

  @Test
  void aMaximumRequestThatIsNotAMultipleOf4KibIsAUsageError() throws Exception {
    assertUsageError(serve("--max-request", "1000"), "--max-request");
  }

  @Test
  void aMaximumRequestUnder64KibIsAUsageError() throws Exception {
    // doc/proto.md "NBD_CMD_READ": the server "MUST support unfragmented reads in which the
    // client's request length does not exceed 65,536 bytes", in one chunk of at most the maximum.
    assertUsageError(
        serve("--max-request", "32K"), "--max-request must be a multiple of 4K from 64K");
  }

  @Test
  void aSegmentSizeUnder64KibIsAUsageError() throws Exception {
    assertUsageError(
        serve(ServerProcess.in(dataDirectory).volume("vol", "16M").segmentSize("32K")),
        "--segment-size");
  }

  @Test
  void aLogThatCannotHoldTwoSegmentsIsAUsageError() throws Exception {
    assertUsageError(
        serve(
            ServerProcess.in(dataDirectory).volume("vol", "16M").segmentSize("64M").logSize("64M")),
        "--log-size");
  }

  @Test
  void aVolumeSizeThatIsNotAMultipleOf512IsAUsageError() throws Exception {
    assertUsageError(serve(ServerProcess.in(dataDirectory).volume("odd", "1000")), "--volume");
  }

  @Test
  void aCheckpointIntervalUnderOneSegmentIsAUsageError() throws Exception {
    assertUsageError(serve("--checkpoint-interval", "1M"), "--checkpoint-interval");
  }

  @Test
  void zeroRequestsInFlightIsAUsageError() throws Exception {
    // With --max-in-flight 0 a connection would stop reading after its first request for good.
    assertUsageError(serve("--max-in-flight", "0"), "--max-in-flight");
  }

  private static void assertFailure(Outcome outcome, String... phrases) {
    assertThat(outcome.exited()).as("exited at once; output:\n%s", outcome.output()).isTrue();
    assertThat(outcome.exitCode()).as("failure; output:\n%s", outcome.output()).isEqualTo(1);
    assertThat(outcome.output()).contains(phrases).doesNotContain("\tat ");
  }

  @Test
  void aVolumeGivenTwiceIsAUsageError() throws Exception {
    // Which size would win is a guess the user should not have to make.
    assertUsageError(
        serve(
            ServerProcess.in(dataDirectory).volume("vol", "16M").arguments("--volume", "vol=32M")),
        "--volume vol is given twice");
  }

  @Test
  void anotherSizeForAnExistingVolumeIsAUsageErrorThatSaysHowToResize() throws Exception {
    try (ServerProcess first = ServerProcess.in(dataDirectory).volume("vol", "16M").start()) {
      first.stop();
    }
    Outcome outcome = serve(ServerProcess.in(dataDirectory).volume("vol", "32M"));

    assertUsageError(outcome, "--volume vol=32M: the store already has volume vol of 16M");
    assertThat(outcome.output()).contains("./unblend volume resize vol SIZE");
  }

  @Test
  void aReadOnlyNameThatIsNoVolumeIsAUsageError() throws Exception {
    // A typo in --read-only must not leave the volume it meant writable.
    assertUsageError(serve("--read-only", "vl"), "--read-only vl");
    assertNoStore();
  }

  @Test
  void theSameAddressTwiceIsAUsageErrorBeforeAStoreIsCreated() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    assertUsageError(
        serve("--listen", "127.0.0.1:" + port, "--listen", "0.0.0.0:" + port),
        "--listen 0.0.0.0:" + port + ": cannot listen");
    assertNoStore();
  }

  @Test
  void aPortInUseIsAUsageErrorBeforeAStoreIsCreated() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + taken.getLocalPort();
      assertUsageError(serve("--listen", address), "--listen " + address + ": cannot listen");
    }
    assertNoStore();
  }

  @Test
  void aHostWithoutAnAddressIsAUsageErrorBeforeAStoreIsCreated() throws Exception {
    // RFC 6761: names under .invalid never resolve.
    assertUsageError(serve("--listen", "nosuchhost.invalid:10809"), "'nosuchhost.invalid'");
    assertNoStore();
  }

  private void assertNoStore() {
    assertThat(dataDirectory.resolve(StoreLayout.SUPERBLOCK_FILE)).doesNotExist();
  }

  @Test
  void aSocketInAMissingDirectoryIsAUsageErrorBeforeAStoreIsCreated() throws Exception {
    Path socket = dataDirectory.resolve("missing").resolve("nbd.sock");
    assertUsageError(serve("--socket", socket.toString()), "--socket " + socket + ": ");
    assertNoStore();
  }

  @Test
  void aSocketAnotherServerListensOnIsLeftToIt(@TempDir Path otherStore) throws Exception {
    try (ServerProcess first = ServerProcess.in(otherStore).volume("vol", "16M").start()) {
      assertUsageError(
          serve("--socket", first.socket().toString()),
          "cannot listen on unix socket " + first.socket() + ": another server listens there");
      assertNoStore();
      String size =
          ExternalTool.NBDINFO
              .runSuccessfully(Duration.ofSeconds(30), "--size", first.unixUri("vol"))
              .stdout();
      assertThat(size.strip()).isEqualTo(Long.toString(16 << 20));
    }
  }

  @Test
  void aFileWhereTheSocketWouldGoStaysAndIsNamed() throws Exception {
    // Only a stale socket file is replaced; a file that is no socket is never deleted.
    Path file = Files.writeString(dataDirectory.resolve("precious"), "keep me");
    assertUsageError(
        serve("--socket", file.toString()),
        "cannot listen on unix socket " + file + ": a file that is no socket is there");
    assertThat(file).hasContent("keep me");
    assertNoStore();
  }

  @Test
  void aDataDirectoryThatCannotBeCreatedIsNamedWithTheReason() throws Exception {
    Path file = Files.writeString(dataDirectory.resolve("a-file"), "not a directory");
    Path data = file.resolve("data");
    assertFailure(
        serve(ServerProcess.in(data).volume("vol", "16M")),
        "cannot create the data directory " + data + ": Not a directory");
  }
}
