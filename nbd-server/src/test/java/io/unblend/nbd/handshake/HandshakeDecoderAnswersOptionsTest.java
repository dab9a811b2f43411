package io.unblend.nbd.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.unblend.logstore.Store;
import io.unblend.logstore.Volume;
import io.unblend.nbd.protocol.ReplyMode;
import io.unblend.nbd.testing.SimulatedStores;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The handshake decoder against byte fixtures named after the messages of doc/proto.md "Newstyle
 * negotiation", "Fixed newstyle negotiation", "Option types" and "Option reply types". Fixtures are
 * hex, big-endian, one field per chunk.
 */
class HandshakeDecoderAnswersOptionsTest {
  // ---- server messages
  // ---------------------------------------------------------------------------

  /** NBDMAGIC, IHAVEOPT, handshake flags NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES. */
  private static final String GREETING = "4e42444d41474943" + "49484156454f5054" + "0003";

  private static final String REPLY_MAGIC = "0003e889045565a9";

  /**
   * HAS_FLAGS, SEND_FLUSH, SEND_FUA, SEND_TRIM, SEND_WRITE_ZEROES, CAN_MULTI_CONN, CACHE,
   * FAST_ZERO.
   */
  private static final String FLAGS_SIMPLE = "0d6d";

  /** The same and NBD_FLAG_SEND_DF, which needs structured replies. */
  private static final String FLAGS_STRUCTURED = "0ded";

  /** The reply to NBD_OPT_EXPORT_NAME: size 1 MiB, transmission flags. */
  private static final String EXPORT_NAME_REPLY = "0000000000100000" + FLAGS_SIMPLE;

  private static final String ZEROES_124 = "00".repeat(124);

  // ---- client messages
  // ---------------------------------------------------------------------------

  private static final String CLIENT_FLAGS_FIXED_NEWSTYLE = "00000001";
  private static final String CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES = "00000003";
  private static final String IHAVEOPT = "49484156454f5054";

  /** NBD_OPT_EXPORT_NAME "vol". */
  private static final String NBD_OPT_EXPORT_NAME_VOL =
      IHAVEOPT + "00000001" + "00000003" + "766f6c";

  /** NBD_OPT_LIST, no data. */
  private static final String NBD_OPT_LIST = IHAVEOPT + "00000003" + "00000000";

  /** NBD_OPT_INFO "vol" asking for NBD_INFO_NAME, NBD_INFO_DESCRIPTION, NBD_INFO_BLOCK_SIZE. */
  private static final String NBD_OPT_INFO_VOL_NAME_DESCRIPTION_BLOCK_SIZE =
      IHAVEOPT
          + "00000006"
          + "0000000f"
          + "00000003"
          + "766f6c"
          + "0003"
          + "0001"
          + "0002"
          + "0003";

  /** NBD_OPT_GO "vol" with no information requests. */
  private static final String NBD_OPT_GO_VOL =
      IHAVEOPT + "00000007" + "00000009" + "00000003" + "766f6c" + "0000";

  /** NBD_OPT_STRUCTURED_REPLY, no data. */
  private static final String NBD_OPT_STRUCTURED_REPLY = IHAVEOPT + "00000008" + "00000000";

  /** NBD_OPT_SET_META_CONTEXT "vol", one query: "base:allocation". */
  private static final String NBD_OPT_SET_META_CONTEXT_VOL_BASE_ALLOCATION =
      IHAVEOPT
          + "0000000a"
          + "0000001e"
          + "00000003"
          + "766f6c"
          + "00000001"
          + "0000000f"
          + "626173653a616c6c6f636174696f6e";

  /** NBD_OPT_INFO whose name length (100) runs past its 7 bytes of data. */
  private static final String NBD_OPT_INFO_NAME_PAST_THE_DATA =
      IHAVEOPT + "00000006" + "00000007" + "00000064" + "766f6c";

  /** NBD_OPT_GO for "nope", which does not exist. */
  private static final String NBD_OPT_GO_NOPE =
      IHAVEOPT + "00000007" + "0000000a" + "00000004" + "6e6f7065" + "0000";

  /** A compact NBD_CMD_READ of 512 bytes at 0, cookie 1, sent right behind NBD_OPT_GO. */
  private static final String NBD_CMD_READ_PIPELINED =
      "25609513" + "0000" + "0000" + "0000000000000001" + "0000000000000000" + "00000200";

  private static Store store;
  private static Volume volume;
  private static Volume other;

  @BeforeAll
  static void openStore() throws Exception {
    store = SimulatedStores.open();
    volume = store.createVolume("vol", 1 << 20);
    other = store.createVolume("other", 2 << 20);
  }

  @AfterAll
  static void closeStore() throws Exception {
    store.close();
  }

  /** The channel under test, and what it handed to the transmission phase. */
  private static final class Handshake {
    final List<Negotiated> negotiated = new ArrayList<>();
    final EmbeddedChannel channel;

    /** Whether the server is shutting down, as its drain sets it. */
    final AtomicBoolean shuttingDown = new AtomicBoolean();

    Handshake() {
      ExportRegistry registry =
          new ExportRegistry() {
            @Override
            public Export find(String name) {
              return switch (name) {
                case "vol", "" -> new Export("vol", "test", volume, false);
                case "other" -> new Export("other", "", other, false);
                default -> null;
              };
            }

            @Override
            public List<Export> list() {
              return List.of(find("vol"), find("other"));
            }
          };
      channel =
          new EmbeddedChannel(
              new HandshakeDecoder(
                  registry,
                  new HandshakeDecoder.BlockSizes(512, 4096, 32 << 20),
                  (ctx, settled) -> negotiated.add(settled),
                  shuttingDown::get));
    }

    /** Sends client bytes; returns everything the server flushed since the last call, as hex. */
    String send(String hex) {
      channel.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex)));
      return flushed();
    }

    String flushed() {
      StringBuilder hex = new StringBuilder();
      for (ByteBuf buf = channel.readOutbound(); buf != null; buf = channel.readOutbound()) {
        hex.append(ByteBufUtil.hexDump(buf));
        buf.release();
      }
      return hex.toString();
    }
  }

  private static String reply(String option, String type, String data) {
    return REPLY_MAGIC + option + type + String.format("%08x", data.length() / 2) + data;
  }

  /** The option {@code option} (hex) with one byte of zeros more than the decoder reads. */
  private static String optionOverTheLimit(String option) {
    int tooLong = HandshakeDecoder.OPTION_BYTES_MAX + 1;
    return IHAVEOPT + option + String.format("%08x", tooLong) + "00".repeat(tooLong);
  }

  private static String hex(String text) {
    return ByteBufUtil.hexDump(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void theGreetingIsNbdmagicIhaveoptAndTheHandshakeFlags() {
    Handshake handshake = new Handshake();

    assertThat(handshake.flushed()).isEqualTo(GREETING);
  }

  @Test
  void exportNameWithoutNoZeroesIsAnsweredWithSizeFlagsAnd124Zeroes() {
    Handshake handshake = new Handshake();
    handshake.flushed();

    String answer = handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE + NBD_OPT_EXPORT_NAME_VOL);

    assertThat(answer).isEqualTo(EXPORT_NAME_REPLY + ZEROES_124);
    assertThat(handshake.negotiated)
        .singleElement()
        .satisfies(
            settled -> {
              assertThat(settled.export().name()).isEqualTo("vol");
              assertThat(settled.replyMode()).isEqualTo(ReplyMode.SIMPLE);
              assertThat(settled.baseAllocation()).isFalse();
            });
    assertThat(handshake.channel.pipeline().get(HandshakeDecoder.class))
        .as("the handshake decoder removes itself when transmission starts")
        .isNull();
  }

  @Test
  void exportNameWithNoZeroesIsAnsweredWithSizeAndFlagsOnly() {
    Handshake handshake = new Handshake();
    handshake.flushed();

    String answer = handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES + NBD_OPT_EXPORT_NAME_VOL);

    assertThat(answer).isEqualTo(EXPORT_NAME_REPLY);
  }

  @Test
  void listIsAnsweredWithOneServerReplyPerExportThenAck() {
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);

    String answer = handshake.send(NBD_OPT_LIST);

    // NBD_REP_SERVER: u32 name length, name, description.
    assertThat(answer)
        .isEqualTo(
            reply("00000003", "00000002", "00000003" + hex("vol") + hex("test"))
                + reply("00000003", "00000002", "00000005" + hex("other"))
                + reply("00000003", "00000001", ""));
  }

  @Test
  void infoIsAnsweredWithExportNameDescriptionAndBlockSizeThenAck() {
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);

    String answer = handshake.send(NBD_OPT_INFO_VOL_NAME_DESCRIPTION_BLOCK_SIZE);

    assertThat(answer)
        .isEqualTo(
            reply("00000006", "00000003", "0000" + "0000000000100000" + FLAGS_SIMPLE)
                + reply("00000006", "00000003", "0001" + hex("vol"))
                + reply("00000006", "00000003", "0002" + hex("test"))
                + reply("00000006", "00000003", "0003" + "00000200" + "00001000" + "02000000")
                + reply("00000006", "00000001", ""));
    assertThat(handshake.negotiated).as("NBD_OPT_INFO stays in negotiation").isEmpty();
  }

  @Test
  void setMetaContextAfterStructuredRepliesSelectsBaseAllocationForGo() {
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);

    String structured = handshake.send(NBD_OPT_STRUCTURED_REPLY);
    String context = handshake.send(NBD_OPT_SET_META_CONTEXT_VOL_BASE_ALLOCATION);
    String go = handshake.send(NBD_OPT_GO_VOL);

    assertThat(structured).isEqualTo(reply("00000008", "00000001", ""));
    // NBD_REP_META_CONTEXT: u32 context id (this server's is 1), the context's name.
    assertThat(context)
        .isEqualTo(
            reply("0000000a", "00000004", "00000001" + hex("base:allocation"))
                + reply("0000000a", "00000001", ""));
    assertThat(go)
        .isEqualTo(
            reply("00000007", "00000003", "0000" + "0000000000100000" + FLAGS_STRUCTURED)
                + reply("00000007", "00000003", "0003" + "00000200" + "00001000" + "02000000")
                + reply("00000007", "00000001", ""));
    assertThat(handshake.negotiated)
        .singleElement()
        .satisfies(
            settled -> {
              assertThat(settled.replyMode()).isEqualTo(ReplyMode.STRUCTURED);
              assertThat(settled.baseAllocation()).isTrue();
            });
  }

  @Test
  void errorRepliesKeepTheConnectionInNegotiation() {
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);

    String malformed = handshake.send(NBD_OPT_INFO_NAME_PAST_THE_DATA);
    String unknown = handshake.send(NBD_OPT_GO_NOPE);
    String go = handshake.send(NBD_OPT_GO_VOL);

    assertThat(malformed).startsWith(REPLY_MAGIC + "00000006" + "80000003");
    assertThat(unknown).startsWith(REPLY_MAGIC + "00000007" + "80000006");
    assertThat(go).endsWith(reply("00000007", "00000001", ""));
    assertThat(handshake.negotiated).hasSize(1);
    assertThat(handshake.channel.isOpen()).isTrue();
  }

  @Test
  void anOptionArrivingOneByteAtATimeIsAnsweredOnceComplete() {
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);
    StringBuilder answers = new StringBuilder();

    for (int i = 0; i < NBD_OPT_LIST.length(); i += 2) {
      answers.append(handshake.send(NBD_OPT_LIST.substring(i, i + 2)));
    }

    assertThat(answers.toString()).endsWith(reply("00000003", "00000001", ""));
  }

  @Test
  void bytesBehindGoReachTheTransmissionPhase() {
    // A client may send its first request right behind NBD_OPT_GO; the decoder hands what it has
    // not consumed to the handlers after it, here the channel's inbound queue.
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);

    handshake.send(NBD_OPT_GO_VOL + NBD_CMD_READ_PIPELINED);

    assertThat(handshake.negotiated).hasSize(1);
    StringBuilder passedOn = new StringBuilder();
    for (ByteBuf buf = handshake.channel.readInbound();
        buf != null;
        buf = handshake.channel.readInbound()) {
      passedOn.append(ByteBufUtil.hexDump(buf));
      buf.release();
    }
    assertThat(passedOn.toString()).isEqualTo(NBD_CMD_READ_PIPELINED);
  }

  @Test
  void anOptionOverTheLimitIsAnsweredWithErrTooBigAtOnce() {
    // "NBD_REP_ERR_TOO_BIG": the request is too large to process. The reply must be flushed when
    // the option's data has been skipped; a client waits for it before sending anything else
    // ("The client MUST NOT send any option until it has received a final reply").
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);

    String answer = handshake.send(optionOverTheLimit("00000006"));

    assertThat(answer).startsWith(REPLY_MAGIC + "00000006" + "80000009");
  }

  @Test
  void anAbortWithDataOverTheLimitIsStillAcknowledged() {
    // NBD_OPT_ABORT: "the server MUST reply with NBD_REP_ACK" and "SHOULD ignore any data"; the
    // data is skipped, not refused as too big.
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);

    String answer = handshake.send(optionOverTheLimit("00000002"));

    assertThat(answer).isEqualTo(reply("00000002", "00000001", ""));
    assertThat(handshake.channel.isOpen()).isFalse();
  }

  @Test
  void anExportNameOverTheLimitClosesTheConnection() {
    // NBD_OPT_EXPORT_NAME: "If the chosen export does not exist or requirements for the chosen
    // export are not met (...), the server MUST terminate the session"; it has no error reply, so
    // an option reply (NBD_REP_ERR_TOO_BIG) would be read as the export's size and flags.
    // Names are at most 4096 bytes ("String"): a longer one is not read, nor looked up.
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);
    int tooLong = 4097;

    String answer =
        handshake.send(
            IHAVEOPT + "00000001" + String.format("%08x", tooLong) + "61".repeat(tooLong));

    assertThat(answer).isEmpty();
    assertThat(handshake.channel.isOpen()).isFalse();
  }

  @Test
  void optionsWhileTheServerShutsDownAreAnsweredWithErrShutdown() {
    // "NBD_REP_ERR_SHUTDOWN (...) the server is unwilling to continue negotiation as it is in the
    // process of being shut down"; "the server SHOULD error further options received (other than
    // NBD_OPT_ABORT) with NBD_REP_ERR_SHUTDOWN".
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);
    handshake.shuttingDown.set(true);

    String answer = handshake.send(IHAVEOPT + "00000003" + "00000000");

    assertThat(answer).startsWith(REPLY_MAGIC + "00000003" + "80000007");
    assertThat(handshake.channel.isOpen()).isTrue();
    assertThat(handshake.send(NBD_OPT_EXPORT_NAME_VOL)).isEmpty();
    assertThat(handshake.channel.isOpen()).isFalse();
  }

  @Test
  void goWithANameOverTheLimitIsInvalidAndSaysSo() {
    // "String": a name "MUST NOT exceed 4096 bytes"; the error reply's data is a message for a
    // human, and the session goes on.
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);
    String name = "61".repeat(4097);
    String data = "00001001" + name + "0000";

    String answer =
        handshake.send(IHAVEOPT + "00000007" + String.format("%08x", data.length() / 2) + data);

    String message =
        ByteBufUtil.hexDump(
            "an export name of 4097 bytes; names are at most 4096"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(answer).isEqualTo(reply("00000007", "80000003", message));
    assertThat(handshake.channel.isOpen()).isTrue();
  }

  @Test
  void unknownClientFlagsCloseTheConnection() {
    Handshake handshake = new Handshake();
    handshake.flushed();

    handshake.send("00000083");

    assertThat(handshake.channel.isOpen()).isFalse();
  }

  @Test
  void anOptionWithoutIhaveoptClosesTheConnection() {
    Handshake handshake = new Handshake();
    handshake.send(CLIENT_FLAGS_FIXED_NEWSTYLE_NO_ZEROES);

    handshake.send("0000000000000000" + "00000003" + "00000000");

    assertThat(handshake.channel.isOpen()).isFalse();
  }
}
