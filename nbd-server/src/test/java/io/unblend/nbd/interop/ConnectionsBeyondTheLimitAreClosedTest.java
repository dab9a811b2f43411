package io.unblend.nbd.interop;

import static io.unblend.nbd.protocol.NbdConstants.NBD_OPT_GO;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REP_ACK;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --max-connections}: connections beyond the limit are closed as soon as they are accepted
 * (doc/proto.md has no way to refuse before the greeting; nbd-server's max_connections closes them
 * too), with a log line; the connections already open keep working, and a client gets in again once
 * one of them has gone.
 */
class ConnectionsBeyondTheLimitAreClosedTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dataDirectory;

  @Test
  void aConnectionBeyondTheLimitIsClosedAndOneAfterAClientLeftIsServed() throws Exception {
    try (ServerProcess server =
        ServerProcess.in(dataDirectory)
            .volume("vol", "16M")
            .arguments("--max-connections", "2")
            .start()) {
      // Closed by hand below, to make room; if the test fails first, stopping the server ends it.
      RawNbdConnection first = RawNbdConnection.open(server).handshake();
      try (RawNbdConnection second = RawNbdConnection.open(server).handshake()) {
        ExternalTool.Result refused =
            ExternalTool.NBDINFO.run(TIMEOUT, "--no-content", server.uri("vol"));
        assertThat(refused.exitCode()).as("nbdinfo beyond the limit").isNotZero();
        assertThat(logged(server, "connection refused: 2 connections are open"))
            .contains("as many as --max-connections allows");

        first.close();
        assertThat(waitForAdmission(server)).contains("export-size: 16777216");
        // The connection that stayed open goes on with its handshake.
        assertThat(second.option(NBD_OPT_GO, RawNbdConnection.infoRequest("vol")).getLast().type())
            .isEqualTo(NBD_REP_ACK);
      }
    }
  }

  /** The server's output once it holds {@code line}: its log reaches the test a little later. */
  private static String logged(ServerProcess server, String line) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!server.output().contains(line) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return server.output();
  }

  /** The server counts the closed connection out when it sees it closed: shortly, not at once. */
  private static String waitForAdmission(ServerProcess server) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      ExternalTool.Result result =
          ExternalTool.NBDINFO.run(TIMEOUT, "--no-content", server.uri("vol"));
      if (result.exitCode() == 0 || System.nanoTime() > deadline) {
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        return result.stdout();
      }
      Thread.sleep(100);
    }
  }
}
