package io.unblend.nbd.interop;

import static io.unblend.nbd.protocol.NbdConstants.NBD_CMD_READ;
import static io.unblend.nbd.protocol.NbdConstants.NBD_OPT_GO;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REP_ACK;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that sends many large reads and does not read the replies (doc/proto.md, "Transmission":
 * a server may process requests in any order and must answer each; nothing obliges it to buffer
 * answers the client is not taking). The server stops reading requests while replies wait for the
 * client, instead of holding every reply in memory; once the client reads, every request is
 * answered, in full.
 */
class SlowClientHoldsBackItsRequestsTest {
  private static final int READS = 384;
  private static final int READ_BYTES = 1 << 20;
  private static final byte[] ZEROS = new byte[READ_BYTES];

  /**
   * Far below the 384 MiB of replies: 64 MiB in flight and 16 MiB of waiting replies (80 MiB
   * measured), and slack.
   */
  private static final long RSS_GROWTH_MAX_BYTES = 160L << 20;

  @TempDir Path dataDirectory;

  @Test
  void unreadRepliesStopTheServerReadingRequests() throws Exception {
    try (ServerProcess server = ServerProcess.in(dataDirectory).volume("vol", "64M").start();
        RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      List<RawNbdConnection.OptionReply> go =
          connection.option(NBD_OPT_GO, RawNbdConnection.infoRequest("vol"));
      assertThat(go.getLast().type()).as("NBD_OPT_GO").isEqualTo(NBD_REP_ACK);
      long rssBefore = residentBytes(server.pid());

      // The requests are 28 bytes each: all of them fit in the socket buffers at once.
      for (int i = 0; i < READS; i++) {
        connection.sendCompactRequest(
            0, NBD_CMD_READ, i, (long) (i % 64) * READ_BYTES, READ_BYTES, null);
      }
      Thread.sleep(3000);
      long growth = residentBytes(server.pid()) - rssBefore;
      assertThat(growth)
          .as(
              "the server's resident memory grew by %d MiB while %d MiB of replies waited for the"
                  + " client",
              growth >> 20, (long) READS * READ_BYTES >> 20)
          .isLessThan(RSS_GROWTH_MAX_BYTES);

      boolean[] answered = new boolean[READS];
      for (int i = 0; i < READS; i++) {
        RawNbdConnection.CompactReply reply = connection.readCompactReply(READ_BYTES);
        assertThat(reply.simple()).isTrue();
        assertThat(reply.error()).as("error of reply %d", reply.cookie()).isZero();
        assertThat(Arrays.equals(reply.payload(), ZEROS))
            .as("reply %d reads the hole as zeros", reply.cookie())
            .isTrue();
        assertThat(answered[(int) reply.cookie()])
            .as("cookie %d answered twice", reply.cookie())
            .isFalse();
        answered[(int) reply.cookie()] = true;
      }
    }
  }

  /** VmRSS of a process, from /proc. */
  private static long residentBytes(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
      }
    }
    throw new AssertionError("no VmRSS in /proc/" + pid + "/status");
  }
}
