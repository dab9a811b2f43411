package io.unblend.nbd.interop;

import static io.unblend.nbd.interop.RawNbdConnection.infoRequest;
import static io.unblend.nbd.interop.RawNbdConnection.metaContextRequest;
import static io.unblend.nbd.protocol.NbdConstants.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.nbd.interop.RawNbdConnection.ExtendedChunk;
import io.unblend.nbd.interop.RawNbdConnection.OptionReply;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extended headers (doc/proto.md of the extension-ext-header branch: "NBD_OPT_EXTENDED_HEADERS",
 * "Request message", "Extended reply chunk message", "NBD_REPLY_TYPE_BLOCK_STATUS_EXT") over a raw
 * socket, since Debian's libnbd 1.14 cannot negotiate them: 32-byte requests with 64-bit lengths,
 * and 32-byte reply headers that echo the request's offset.
 */
class ExtendedHeadersRawSocketTest {
  private static final long GIB = 1L << 30;

  @TempDir static Path dataDirectory;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server =
        ServerProcess.in(dataDirectory)
            .volume("ext", "64M")
            .volume("errors", "1M")
            .volume("huge", "8G")
            .start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  /** A connection in transmission with extended headers and base:allocation selected. */
  private record Session(RawNbdConnection connection, int contextId, long exportBytes, int flags)
      implements AutoCloseable {
    @Override
    public void close() throws IOException {
      connection.close();
    }
  }

  private static Session open(String export) throws IOException {
    RawNbdConnection connection = RawNbdConnection.open(server).handshake();
    List<OptionReply> extended = connection.option(NBD_OPT_EXTENDED_HEADERS, new byte[0]);
    assertThat(extended).extracting(OptionReply::type).containsExactly(NBD_REP_ACK);

    List<OptionReply> context =
        connection.option(NBD_OPT_SET_META_CONTEXT, metaContextRequest(export, BASE_ALLOCATION));
    assertThat(context)
        .extracting(OptionReply::type)
        .containsExactly(NBD_REP_META_CONTEXT, NBD_REP_ACK);
    ByteBuffer selected = ByteBuffer.wrap(context.getFirst().data());
    int contextId = selected.getInt();
    assertThat(StandardCharsets.UTF_8.decode(selected).toString()).isEqualTo(BASE_ALLOCATION);

    List<OptionReply> go = connection.option(NBD_OPT_GO, infoRequest(export, NBD_INFO_BLOCK_SIZE));
    assertThat(go.getLast().type()).isEqualTo(NBD_REP_ACK);
    ByteBuffer info =
        go.stream()
            .filter(reply -> reply.type() == NBD_REP_INFO)
            .map(reply -> ByteBuffer.wrap(reply.data()))
            .filter(data -> data.getShort(0) == NBD_INFO_EXPORT)
            .findFirst()
            .orElseThrow();
    info.getShort();
    return new Session(connection, contextId, info.getLong(), info.getShort() & 0xffff);
  }

  @Test
  void negotiationSelectsBaseAllocationAndAdvertisesEveryCommand() throws IOException {
    try (Session session = open("ext")) {
      assertThat(session.exportBytes()).isEqualTo(64 << 20);
      assertThat(session.flags())
          .isEqualTo(
              NBD_FLAG_HAS_FLAGS
                  | NBD_FLAG_SEND_FLUSH
                  | NBD_FLAG_SEND_FUA
                  | NBD_FLAG_SEND_TRIM
                  | NBD_FLAG_SEND_WRITE_ZEROES
                  | NBD_FLAG_SEND_DF
                  | NBD_FLAG_CAN_MULTI_CONN
                  | NBD_FLAG_SEND_CACHE
                  | NBD_FLAG_SEND_FAST_ZERO);
      assertThat(session.contextId()).isNotZero();
    }
  }

  @Test
  void aWriteCarriesItsPayloadLengthAndIsAnsweredWithOneNoneChunk() throws IOException {
    try (Session session = open("ext")) {
      byte[] data = random(1, 8192);
      session
          .connection()
          .sendExtendedRequest(
              NBD_CMD_FLAG_PAYLOAD_LEN, NBD_CMD_WRITE, 0x1111, 1 << 20, data.length, data);

      ExtendedChunk reply = session.connection().readExtendedChunk();

      assertThat(reply.type()).isEqualTo(NBD_REPLY_TYPE_NONE);
      assertThat(reply.done()).isTrue();
      assertThat(reply.cookie()).isEqualTo(0x1111);
      assertThat(reply.offset()).as("offset MUST match the request").isEqualTo(1 << 20);
      assertThat(reply.payload()).isEmpty();
    }
  }

  @Test
  void aReadIsAnsweredWithAnExtendedOffsetDataChunk() throws IOException {
    try (Session session = open("ext")) {
      byte[] data = random(2, 65536);
      write(session, 2 << 20, data);
      session.connection().sendExtendedRequest(0, NBD_CMD_READ, 0x2222, 2 << 20, 65536, null);

      ExtendedChunk reply = session.connection().readExtendedChunk();

      // "NBD_REPLY_TYPE_OFFSET_DATA": u64 offset, then length - 8 bytes of data.
      assertThat(reply.type()).isEqualTo(NBD_REPLY_TYPE_OFFSET_DATA);
      assertThat(reply.done()).isTrue();
      assertThat(reply.cookie()).isEqualTo(0x2222);
      assertThat(reply.offset()).isEqualTo(2 << 20);
      assertThat(reply.payload()).hasSize(8 + 65536);
      assertThat(ByteBuffer.wrap(reply.payload()).getLong()).isEqualTo(2 << 20);
      assertThat(Arrays.copyOfRange(reply.payload(), 8, reply.payload().length)).isEqualTo(data);
    }
  }

  @Test
  void aReadOverDataAndHolesSplitsIntoChunksUnlessDontFragmentIsSet() throws IOException {
    try (Session session = open("ext")) {
      long base = 4 << 20;
      byte[] data = random(3, 65536);
      write(session, base + 65536, data);

      session.connection().sendExtendedRequest(0, NBD_CMD_READ, 0x3333, base, 3 * 65536, null);
      List<ExtendedChunk> chunks = session.connection().readExtendedReply();

      // Every chunk echoes the request's offset; the content chunks say where they belong.
      assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.offset()).isEqualTo(base));
      assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.cookie()).isEqualTo(0x3333));
      assertThat(chunks.getLast().done()).isTrue();
      assertThat(chunks.subList(0, chunks.size() - 1)).noneMatch(ExtendedChunk::done);
      assertThat(reassemble(chunks, base, 3 * 65536))
          .isEqualTo(concat(new byte[65536], data, new byte[65536]));
      assertThat(chunks).anyMatch(chunk -> chunk.type() == NBD_REPLY_TYPE_OFFSET_HOLE);

      session
          .connection()
          .sendExtendedRequest(NBD_CMD_FLAG_DF, NBD_CMD_READ, 0x3334, base, 3 * 65536, null);
      List<ExtendedChunk> unfragmented = session.connection().readExtendedReply();

      // "NBD_CMD_FLAG_DF": at most one content chunk, zeros explicitly present.
      assertThat(unfragmented)
          .filteredOn(
              chunk ->
                  chunk.type() == NBD_REPLY_TYPE_OFFSET_DATA
                      || chunk.type() == NBD_REPLY_TYPE_OFFSET_HOLE)
          .singleElement()
          .satisfies(chunk -> assertThat(chunk.type()).isEqualTo(NBD_REPLY_TYPE_OFFSET_DATA));
      assertThat(reassemble(unfragmented, base, 3 * 65536))
          .isEqualTo(concat(new byte[65536], data, new byte[65536]));
    }
  }

  @Test
  void blockStatusIsAnsweredWithBlockStatusExt() throws IOException {
    try (Session session = open("ext")) {
      long base = 8 << 20;
      write(session, base, random(4, 65536));
      session
          .connection()
          .sendExtendedRequest(0, NBD_CMD_BLOCK_STATUS, 0x4444, base, 1 << 20, null);

      ExtendedChunk reply = session.connection().readExtendedChunk();

      assertThat(reply.type()).isEqualTo(NBD_REPLY_TYPE_BLOCK_STATUS_EXT);
      assertThat(reply.done()).isTrue();
      assertThat(reply.offset()).isEqualTo(base);
      assertThat(descriptors(reply, session.contextId()))
          .containsExactly(new long[] {65536, 0}, new long[] {(1 << 20) - 65536, 3});
    }
  }

  @Test
  void sixtyFourBitEffectLengthsReachPastFourGibibytes() throws IOException {
    // Extended requests carry a 64-bit effect length for commands without payload.
    try (Session session = open("huge")) {
      assertThat(session.exportBytes()).isEqualTo(8 * GIB);

      session
          .connection()
          .sendExtendedRequest(
              NBD_CMD_FLAG_NO_HOLE, NBD_CMD_WRITE_ZEROES, 0x5551, 0, 5 * GIB, null);
      assertThat(session.connection().readExtendedChunk().type()).isEqualTo(NBD_REPLY_TYPE_NONE);

      session.connection().sendExtendedRequest(0, NBD_CMD_BLOCK_STATUS, 0x5552, 0, 8 * GIB, null);
      ExtendedChunk zeroes = session.connection().readExtendedChunk();
      assertThat(descriptors(zeroes, session.contextId()))
          .containsExactly(new long[] {5 * GIB, NBD_STATE_ZERO}, new long[] {3 * GIB, 3});

      session.connection().sendExtendedRequest(0, NBD_CMD_TRIM, 0x5553, 0, 5 * GIB, null);
      assertThat(session.connection().readExtendedChunk().type()).isEqualTo(NBD_REPLY_TYPE_NONE);

      session.connection().sendExtendedRequest(0, NBD_CMD_BLOCK_STATUS, 0x5554, 0, 8 * GIB, null);
      ExtendedChunk holes = session.connection().readExtendedChunk();
      assertThat(descriptors(holes, session.contextId())).containsExactly(new long[] {8 * GIB, 3});
    }
  }

  @Test
  void errorsAreExtendedErrorChunksAndTheConnectionGoesOn() throws IOException {
    try (Session session = open("errors")) {
      long end = session.exportBytes();
      session.connection().sendExtendedRequest(0, NBD_CMD_READ, 0x6661, end, 4096, null);
      assertError(session.connection().readExtendedChunk(), 0x6661, end, NBD_EINVAL);

      byte[] data = random(5, 4096);
      session
          .connection()
          .sendExtendedRequest(NBD_CMD_FLAG_PAYLOAD_LEN, NBD_CMD_WRITE, 0x6662, end, 4096, data);
      assertError(session.connection().readExtendedChunk(), 0x6662, end, NBD_ENOSPC);

      session.connection().sendExtendedRequest(0, 99, 0x6663, 0, 0, null);
      assertError(session.connection().readExtendedChunk(), 0x6663, 0, NBD_EINVAL);

      write(session, 0, data);
      assertThat(read(session, 0, 4096)).isEqualTo(data);
    }
  }

  @Test
  void aPayloadOnACommandThatTakesNoneIsConsumedAndRefused() throws IOException {
    // "Request message": a server "SHOULD gracefully consume length bytes of payload (even if it
    // then replies with an NBD_EINVAL failure because the particular command was not expecting a
    // payload), and proceed with the next client command". The block status payload form needs
    // NBD_FLAG_BLOCK_STATUS_PAYLOAD, which this server does not advertise.
    try (Session session = open("errors")) {
      session
          .connection()
          .sendExtendedRequest(
              NBD_CMD_FLAG_PAYLOAD_LEN, NBD_CMD_TRIM, 0x7771, 0, 16, random(6, 16));
      assertError(session.connection().readExtendedChunk(), 0x7771, 0, NBD_EINVAL);

      byte[] statusPayload =
          ByteBuffer.allocate(12).putLong(4096).putInt(session.contextId()).array();
      session
          .connection()
          .sendExtendedRequest(
              NBD_CMD_FLAG_PAYLOAD_LEN, NBD_CMD_BLOCK_STATUS, 0x7772, 0, 12, statusPayload);
      assertError(session.connection().readExtendedChunk(), 0x7772, 0, NBD_EINVAL);

      byte[] data = random(7, 4096);
      write(session, 8192, data);
      assertThat(read(session, 8192, 4096)).isEqualTo(data);
    }
  }

  @Test
  void aWriteWithoutPayloadLenIsRefusedAndCarriesNoPayload() throws IOException {
    // "NBD_CMD_FLAG_PAYLOAD_LEN": "With extended headers, the flag MUST be set for NBD_CMD_WRITE";
    // without it the length is an effect length and no payload follows.
    try (Session session = open("errors")) {
      session.connection().sendExtendedRequest(0, NBD_CMD_WRITE, 0x8881, 0, 4096, null);
      assertError(session.connection().readExtendedChunk(), 0x8881, 0, NBD_EINVAL);

      byte[] data = random(8, 4096);
      write(session, 16384, data);
      assertThat(read(session, 16384, 4096)).isEqualTo(data);
    }
  }

  @Test
  void aCompactRequestOnAnExtendedConnectionClosesIt() throws IOException {
    // A request with the wrong magic leaves no way to find the next request: hard disconnect.
    try (Session session = open("errors")) {
      session.connection().sendCompactRequest(0, NBD_CMD_READ, 0x9991, 0, 4096, null);
      session.connection().sendBytes(new byte[4]);
      assertThat(session.connection().closedByServer()).isTrue();
    }
  }

  @Test
  void discEndsTheSessionAfterAnsweringWhatIsInFlight() throws IOException {
    // "NBD_CMD_DISC": "The server MUST handle all outstanding requests ... and close the TCP
    // session"; there is no reply to the disconnect itself.
    try (Session session = open("errors")) {
      byte[] data = random(9, 65536);
      session
          .connection()
          .sendExtendedRequest(
              NBD_CMD_FLAG_PAYLOAD_LEN | NBD_CMD_FLAG_FUA,
              NBD_CMD_WRITE,
              0xaaa1,
              65536,
              data.length,
              data);
      session.connection().sendExtendedRequest(0, NBD_CMD_DISC, 0xaaa2, 0, 0, null);

      ExtendedChunk reply = session.connection().readExtendedChunk();
      assertThat(reply.cookie()).isEqualTo(0xaaa1);
      assertThat(reply.type()).isEqualTo(NBD_REPLY_TYPE_NONE);
      assertThat(session.connection().closedByServer()).isTrue();
    }
  }

  @Test
  void discAnswersEveryRequestInFlightBeforeClosing() throws IOException {
    // "NBD_CMD_DISC": "The server MUST handle all outstanding requests". Many at once, so that
    // their replies leave the storage thread in bursts while the disconnect is already read.
    try (Session session = open("errors")) {
      Set<Long> sent = new HashSet<>();
      for (long cookie = 1; cookie <= 64; cookie++) {
        long offset = cookie * 4096;
        if (cookie % 2 == 0) {
          byte[] data = random((int) cookie, 4096);
          session
              .connection()
              .sendExtendedRequest(
                  NBD_CMD_FLAG_PAYLOAD_LEN, NBD_CMD_WRITE, cookie, offset, data.length, data);
        } else {
          session.connection().sendExtendedRequest(0, NBD_CMD_READ, cookie, offset, 4096, null);
        }
        sent.add(cookie);
      }
      session.connection().sendExtendedRequest(0, NBD_CMD_DISC, 1000, 0, 0, null);

      Set<Long> answered = new HashSet<>();
      while (answered.size() < sent.size()) {
        List<ExtendedChunk> reply = session.connection().readExtendedReply();
        assertThat(reply.getLast().flags() & NBD_REPLY_FLAG_DONE).isNotZero();
        assertThat(answered.add(reply.getFirst().cookie()))
            .as("one reply for cookie %d", reply.getFirst().cookie())
            .isTrue();
      }
      assertThat(answered).isEqualTo(sent);
      assertThat(session.connection().closedByServer()).isTrue();
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void write(Session session, long offset, byte[] data) throws IOException {
    session
        .connection()
        .sendExtendedRequest(NBD_CMD_FLAG_PAYLOAD_LEN, NBD_CMD_WRITE, 1, offset, data.length, data);
    ExtendedChunk reply = session.connection().readExtendedChunk();
    assertThat(reply.type()).as("write at %d", offset).isEqualTo(NBD_REPLY_TYPE_NONE);
  }

  private static byte[] read(Session session, long offset, int length) throws IOException {
    session
        .connection()
        .sendExtendedRequest(NBD_CMD_FLAG_DF, NBD_CMD_READ, 2, offset, length, null);
    return reassemble(session.connection().readExtendedReply(), offset, length);
  }

  /** The bytes a read's content chunks describe; fails on an error chunk. */
  private static byte[] reassemble(List<ExtendedChunk> chunks, long offset, int length) {
    byte[] result = new byte[length];
    boolean[] covered = new boolean[length];
    for (ExtendedChunk chunk : chunks) {
      ByteBuffer payload = ByteBuffer.wrap(chunk.payload());
      switch (chunk.type()) {
        case NBD_REPLY_TYPE_OFFSET_DATA -> {
          int at = (int) (payload.getLong() - offset);
          int bytes = payload.remaining();
          payload.get(result, at, bytes);
          Arrays.fill(covered, at, at + bytes, true);
        }
        case NBD_REPLY_TYPE_OFFSET_HOLE -> {
          int at = (int) (payload.getLong() - offset);
          int bytes = payload.getInt();
          Arrays.fill(covered, at, at + bytes, true);
        }
        case NBD_REPLY_TYPE_NONE -> {}
        default -> throw new AssertionError("unexpected chunk type " + chunk.type());
      }
    }
    for (boolean piece : covered) {
      assertThat(piece).as("every byte of the read is in a content chunk").isTrue();
    }
    return result;
  }

  /** The (length, flags) pairs of a BLOCK_STATUS_EXT chunk for {@code contextId}. */
  private static List<long[]> descriptors(ExtendedChunk chunk, int contextId) {
    assertThat(chunk.type()).isEqualTo(NBD_REPLY_TYPE_BLOCK_STATUS_EXT);
    ByteBuffer payload = ByteBuffer.wrap(chunk.payload());
    assertThat(payload.getInt()).as("context id").isEqualTo(contextId);
    int count = payload.getInt();
    assertThat(count).as("descriptor count").isPositive();
    assertThat(chunk.payload()).as("length = 8 + 16 * count").hasSize(8 + 16 * count);
    List<long[]> descriptors = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long length = payload.getLong();
      long status = payload.getLong();
      assertThat(status >>> 32).as("base: contexts leave the high 32 status bits zero").isZero();
      descriptors.add(new long[] {length, status});
    }
    return descriptors;
  }

  private static void assertError(ExtendedChunk chunk, long cookie, long offset, int error) {
    // "NBD_REPLY_TYPE_ERROR": u32 error, u16 message length, message.
    assertThat(chunk.type()).isEqualTo(NBD_REPLY_TYPE_ERROR);
    assertThat(chunk.done()).isTrue();
    assertThat(chunk.cookie()).isEqualTo(cookie);
    assertThat(chunk.offset()).isEqualTo(offset);
    ByteBuffer payload = ByteBuffer.wrap(chunk.payload());
    assertThat(payload.getInt()).as("error").isEqualTo(error);
    int messageBytes = payload.getShort() & 0xffff;
    assertThat(messageBytes).isEqualTo(chunk.payload().length - 6);
    // "The server SHOULD prefer sending errors via a structured reply, as the error can then be
    // accompanied by a string payload to present to a human user."
    assertThat(messageBytes).as("bytes of the message saying why").isPositive();
  }

  private static byte[] random(long seed, int length) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    ByteBuffer joined = ByteBuffer.allocate(length);
    for (byte[] part : parts) {
      joined.put(part);
    }
    return joined.array();
  }
}
