package io.unblend.nbd.interop;

import static io.unblend.nbd.interop.RawNbdConnection.infoRequest;
import static io.unblend.nbd.interop.RawNbdConnection.metaContextRequest;
import static io.unblend.nbd.protocol.NbdConstants.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.nbd.interop.RawNbdConnection.CompactReply;
import io.unblend.nbd.interop.RawNbdConnection.OptionReply;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Option haggling over a raw socket (doc/proto.md "Fixed newstyle negotiation", "Option types",
 * "Option reply types"): a bad option gets the error reply the spec names and the connection stays
 * usable, so a later NBD_OPT_GO on the same connection still succeeds; only the cases where the
 * spec has no error reply (NBD_OPT_EXPORT_NAME, client flags) end the connection.
 */
class OptionHagglingErrorsTest {
  private static final int TRANSMISSION_FLAGS_SIMPLE =
      NBD_FLAG_HAS_FLAGS
          | NBD_FLAG_SEND_FLUSH
          | NBD_FLAG_SEND_FUA
          | NBD_FLAG_SEND_TRIM
          | NBD_FLAG_SEND_WRITE_ZEROES
          | NBD_FLAG_CAN_MULTI_CONN
          | NBD_FLAG_SEND_CACHE
          | NBD_FLAG_SEND_FAST_ZERO;

  @TempDir static Path dataDirectory;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.in(dataDirectory).volume("vol", "1M").volume("other", "2M").start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void theGreetingOffersFixedNewstyleAndNoZeroes() throws IOException {
    try (RawNbdConnection connection = RawNbdConnection.open(server)) {
      assertThat(connection.readGreeting()).isEqualTo(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
    }
  }

  @Test
  void errorsLeaveTheConnectionUsableUntilAGoSucceeds() throws IOException {
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      // "Option types": an option the server does not know gets NBD_REP_ERR_UNSUP.
      assertSingleReply(connection.option(99, bytes("junk")), 99, NBD_REP_ERR_UNSUP);
      // NBD_OPT_INFO whose name length runs past the option data is syntactically invalid.
      assertSingleReply(
          connection.option(NBD_OPT_INFO, new byte[] {0, 0, 0, 100, 'v', 'o', 'l'}),
          NBD_OPT_INFO,
          NBD_REP_ERR_INVALID);
      // "NBD_OPT_INFO": NBD_REP_ERR_UNKNOWN for an export that does not exist, with no INFO.
      assertSingleReply(
          connection.option(NBD_OPT_INFO, infoRequest("no-such-volume")),
          NBD_OPT_INFO,
          NBD_REP_ERR_UNKNOWN);
      assertSingleReply(
          connection.option(NBD_OPT_STARTTLS, new byte[0]), NBD_OPT_STARTTLS, NBD_REP_ERR_UNSUP);

      List<OptionReply> go =
          connection.option(
              NBD_OPT_GO,
              infoRequest("vol", NBD_INFO_NAME, NBD_INFO_DESCRIPTION, NBD_INFO_BLOCK_SIZE));

      assertThat(go).extracting(OptionReply::option).containsOnly(NBD_OPT_GO);
      assertThat(go.getLast().type()).isEqualTo(NBD_REP_ACK);
      assertThat(infoPayload(go, NBD_INFO_EXPORT))
          .isEqualTo(
              ByteBuffer.allocate(12)
                  .putShort((short) NBD_INFO_EXPORT)
                  .putLong(1 << 20)
                  .putShort((short) TRANSMISSION_FLAGS_SIMPLE)
                  .array());
      assertThat(new String(infoPayload(go, NBD_INFO_NAME), 2, 3, StandardCharsets.UTF_8))
          .isEqualTo("vol");
      assertThat(infoPayload(go, NBD_INFO_DESCRIPTION)).hasSizeGreaterThan(2);
      assertThat(infoPayload(go, NBD_INFO_BLOCK_SIZE))
          .isEqualTo(
              ByteBuffer.allocate(14)
                  .putShort((short) NBD_INFO_BLOCK_SIZE)
                  .putInt(512)
                  .putInt(4096)
                  .putInt(32 << 20)
                  .array());

      // Transmission with simple replies: a read is a 16-byte header, then the data.
      connection.sendCompactRequest(0, NBD_CMD_READ, 7, 0, 512, null);
      CompactReply read = connection.readCompactReply(512);
      assertThat(read.simple()).isTrue();
      assertThat(read.error()).isZero();
      assertThat(read.cookie()).isEqualTo(7);
      assertThat(read.payload()).isEqualTo(new byte[512]);
    }
  }

  @Test
  void infoWithAMiscountedInformationRequestListIsErrInvalid() throws IOException {
    byte[] twoRequestsAnnouncedOneSent = {0, 0, 0, 3, 'v', 'o', 'l', 0, 2, 0, NBD_INFO_NAME};
    byte[] tooShortForAName = {0, 0};
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      assertSingleReply(
          connection.option(NBD_OPT_INFO, twoRequestsAnnouncedOneSent),
          NBD_OPT_INFO,
          NBD_REP_ERR_INVALID);
      assertSingleReply(
          connection.option(NBD_OPT_GO, tooShortForAName), NBD_OPT_GO, NBD_REP_ERR_INVALID);
      assertThat(connection.option(NBD_OPT_INFO, infoRequest("vol")).getLast().type())
          .isEqualTo(NBD_REP_ACK);
    }
  }

  @Test
  void optionsThatTakeNoDataRefuseDataWithErrInvalid() throws IOException {
    // NBD_OPT_LIST, NBD_OPT_STRUCTURED_REPLY and NBD_OPT_EXTENDED_HEADERS: "The client MUST NOT
    // send any additional data with the option, and the server SHOULD reject a request that
    // includes data with NBD_REP_ERR_INVALID".
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      for (int option :
          new int[] {NBD_OPT_LIST, NBD_OPT_STRUCTURED_REPLY, NBD_OPT_EXTENDED_HEADERS}) {
        assertSingleReply(connection.option(option, bytes("x")), option, NBD_REP_ERR_INVALID);
      }
    }
  }

  @Test
  void listNamesEveryExport() throws IOException {
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      List<OptionReply> replies = connection.option(NBD_OPT_LIST, new byte[0]);

      assertThat(replies.getLast().type()).isEqualTo(NBD_REP_ACK);
      assertThat(replies.subList(0, replies.size() - 1))
          .allSatisfy(reply -> assertThat(reply.type()).isEqualTo(NBD_REP_SERVER))
          .extracting(OptionReplyNames::serverName)
          .containsExactlyInAnyOrder("vol", "other");
    }
  }

  @Test
  void anOptionOverTheLimitIsErrTooBigAndSkipped() throws IOException {
    // "NBD_REP_ERR_TOO_BIG": the request is too large to process; its data is skipped so that the
    // next option is read from the right place.
    try (RawNbdConnection connection =
        RawNbdConnection.open(server).readTimeout(Duration.ofSeconds(3)).handshake()) {
      assertSingleReply(
          connection.option(NBD_OPT_INFO, new byte[(64 << 10) + 1]),
          NBD_OPT_INFO,
          NBD_REP_ERR_TOO_BIG);
      assertThat(connection.option(NBD_OPT_LIST, new byte[0]).getLast().type())
          .isEqualTo(NBD_REP_ACK);
    }
  }

  @Test
  void setMetaContextBeforeStructuredRepliesIsErrInvalid() throws IOException {
    // "NBD_OPT_SET_META_CONTEXT": "This option MUST NOT be requested unless structured replies or
    // extended headers have been negotiated first ... a server SHOULD send NBD_REP_ERR_INVALID".
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      assertSingleReply(
          connection.option(NBD_OPT_SET_META_CONTEXT, metaContextRequest("vol", BASE_ALLOCATION)),
          NBD_OPT_SET_META_CONTEXT,
          NBD_REP_ERR_INVALID);
    }
  }

  @Test
  void listMetaContextOffersBaseAllocation() throws IOException {
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      connection.option(NBD_OPT_STRUCTURED_REPLY, new byte[0]);

      List<OptionReply> all =
          connection.option(NBD_OPT_LIST_META_CONTEXT, metaContextRequest("vol"));
      List<OptionReply> namespace =
          connection.option(NBD_OPT_LIST_META_CONTEXT, metaContextRequest("vol", "base:"));
      // "the server MUST ignore query strings belonging to an unknown namespace"
      List<OptionReply> unknown =
          connection.option(NBD_OPT_LIST_META_CONTEXT, metaContextRequest("vol", "x-unknown:a"));

      assertThat(all)
          .extracting(OptionReply::type)
          .containsExactly(NBD_REP_META_CONTEXT, NBD_REP_ACK);
      assertThat(OptionReplyNames.contextName(all.getFirst())).isEqualTo(BASE_ALLOCATION);
      assertThat(namespace)
          .extracting(OptionReply::type)
          .containsExactly(NBD_REP_META_CONTEXT, NBD_REP_ACK);
      assertThat(unknown).extracting(OptionReply::type).containsExactly(NBD_REP_ACK);
    }
  }

  @Test
  void structuredRepliesAfterExtendedHeadersAreErrExtHeaderReqd() throws IOException {
    // "NBD_OPT_STRUCTURED_REPLY": NBD_REP_ERR_EXT_HEADER_REQD when extended headers were
    // negotiated already, since they take precedence.
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      assertSingleReply(
          connection.option(NBD_OPT_EXTENDED_HEADERS, new byte[0]),
          NBD_OPT_EXTENDED_HEADERS,
          NBD_REP_ACK);
      assertSingleReply(
          connection.option(NBD_OPT_STRUCTURED_REPLY, new byte[0]),
          NBD_OPT_STRUCTURED_REPLY,
          NBD_REP_ERR_EXT_HEADER_REQD);
    }
  }

  @Test
  void abortIsAcknowledgedThenTheServerCloses() throws IOException {
    // "NBD_OPT_ABORT": "The server MUST reply with NBD_REP_ACK".
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      assertSingleReply(connection.option(NBD_OPT_ABORT, new byte[0]), NBD_OPT_ABORT, NBD_REP_ACK);
      assertThat(connection.closedByServer()).isTrue();
    }
  }

  @Test
  void exportNameForAnUnknownExportClosesTheConnection() throws IOException {
    // "NBD_OPT_EXPORT_NAME": "If the chosen export does not exist ... the server MUST terminate
    // the session", since this option has no error reply.
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      connection.sendOption(NBD_OPT_EXPORT_NAME, bytes("no-such-volume"));
      assertThat(connection.closedByServer()).isTrue();
    }
  }

  @Test
  void exportNameAfterExtendedHeadersClosesTheConnection() throws IOException {
    // "NBD_OPT_EXPORT_NAME": "a client that has used NBD_OPT_EXTENDED_HEADERS to negotiate extended
    // headers MUST NOT use this option"; the option has no error reply, so the server hangs up.
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      connection.option(NBD_OPT_EXTENDED_HEADERS, new byte[0]);
      connection.sendOption(NBD_OPT_EXPORT_NAME, bytes("vol"));
      assertThat(connection.closedByServer()).isTrue();
    }
  }

  @Test
  void unknownClientFlagsCloseTheConnection() throws IOException {
    // "Newstyle negotiation": "the server MUST close the TCP connection if it does not recognize
    // the client's flags".
    try (RawNbdConnection connection = RawNbdConnection.open(server)) {
      connection.readGreeting();
      connection.sendClientFlags(NBD_FLAG_C_FIXED_NEWSTYLE | 1 << 7);
      assertThat(connection.closedByServer()).isTrue();
    }
  }

  @Test
  void anOptionWithoutIhaveoptMagicClosesTheConnection() throws IOException {
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      connection.sendBytes(new byte[16]);
      assertThat(connection.closedByServer()).isTrue();
    }
  }

  @Test
  void contextsSetForAnotherExportDoNotCarryOverToGo() throws IOException {
    // "NBD_CMD_BLOCK_STATUS": only contexts set by the last NBD_OPT_SET_META_CONTEXT, for the
    // export that NBD_OPT_GO then selects, are active; otherwise block status fails with EINVAL.
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      connection.option(NBD_OPT_STRUCTURED_REPLY, new byte[0]);
      assertThat(
              connection
                  .option(NBD_OPT_SET_META_CONTEXT, metaContextRequest("other", BASE_ALLOCATION))
                  .getLast()
                  .type())
          .isEqualTo(NBD_REP_ACK);
      assertThat(connection.option(NBD_OPT_GO, infoRequest("vol")).getLast().type())
          .isEqualTo(NBD_REP_ACK);

      assertThat(blockStatusError(connection)).isEqualTo(NBD_EINVAL);
    }
  }

  @Test
  void aFailedSetMetaContextClearsTheEarlierSelection() throws IOException {
    // "NBD_OPT_SET_META_CONTEXT": "Issuing this command replaces all previously-set metadata
    // contexts (including when this command fails)". After a successful selection and a failed
    // one, no context is active, so block status fails with EINVAL.
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      connection.option(NBD_OPT_STRUCTURED_REPLY, new byte[0]);
      assertThat(
              connection
                  .option(NBD_OPT_SET_META_CONTEXT, metaContextRequest("vol", BASE_ALLOCATION))
                  .getLast()
                  .type())
          .isEqualTo(NBD_REP_ACK);
      assertSingleReply(
          connection.option(
              NBD_OPT_SET_META_CONTEXT, metaContextRequest("no-such-volume", BASE_ALLOCATION)),
          NBD_OPT_SET_META_CONTEXT,
          NBD_REP_ERR_UNKNOWN);
      assertThat(connection.option(NBD_OPT_GO, infoRequest("vol")).getLast().type())
          .isEqualTo(NBD_REP_ACK);

      assertThat(blockStatusError(connection)).isEqualTo(NBD_EINVAL);
    }
  }

  /** Sends a block status request over structured replies; returns its error (0: success). */
  private static int blockStatusError(RawNbdConnection connection) throws IOException {
    connection.sendCompactRequest(0, NBD_CMD_BLOCK_STATUS, 9, 0, 4096, null);
    CompactReply reply = connection.readCompactReply(0);
    assertThat(reply.cookie()).isEqualTo(9);
    if (reply.simple()) {
      return reply.error();
    }
    assertThat(reply.done()).as("one chunk answers block status here").isTrue();
    return reply.type() == NBD_REPLY_TYPE_ERROR ? ByteBuffer.wrap(reply.payload()).getInt() : 0;
  }

  private static void assertSingleReply(List<OptionReply> replies, int option, int type) {
    assertThat(replies).hasSize(1);
    assertThat(replies.getFirst().option()).as("option echoed").isEqualTo(option);
    assertThat(replies.getFirst().type())
        .as("reply type 0x%08x (%s)", type, replies.getFirst().text())
        .isEqualTo(type);
  }

  private static byte[] infoPayload(List<OptionReply> replies, int informationType) {
    return replies.stream()
        .filter(reply -> reply.type() == NBD_REP_INFO)
        .filter(reply -> ByteBuffer.wrap(reply.data()).getShort() == informationType)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no NBD_REP_INFO of type " + informationType))
        .data();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Fields of NBD_REP_SERVER and NBD_REP_META_CONTEXT ("Option reply types"). */
  private static final class OptionReplyNames {
    /** NBD_REP_SERVER: u32 name length, name, then a description. */
    static String serverName(OptionReply reply) {
      ByteBuffer data = ByteBuffer.wrap(reply.data());
      int length = data.getInt();
      return new String(reply.data(), 4, length, StandardCharsets.UTF_8);
    }

    /** NBD_REP_META_CONTEXT: u32 context id, then the name. */
    static String contextName(OptionReply reply) {
      return new String(reply.data(), 4, reply.data().length - 4, StandardCharsets.UTF_8);
    }
  }
}
