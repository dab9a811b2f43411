package io.unblend.nbd.transmission;

import static io.unblend.nbd.protocol.NbdConstants.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.unblend.nbd.protocol.NbdRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The request decoder against byte fixtures named after the messages of doc/proto.md "Request
 * message": compact requests (28 bytes, a payload only for NBD_CMD_WRITE) and extended requests (32
 * bytes, a payload exactly when NBD_CMD_FLAG_PAYLOAD_LEN is set). Hex, big-endian, one field per
 * chunk: magic, flags, type, cookie, offset, length.
 */
class RequestDecoderFramesRequestsTest {
  private static final int PAYLOAD_BYTES_MAX = 1024;

  /** NBD_CMD_READ of 4096 bytes at 1 MiB, cookie 0x0102030405060708. */
  private static final String COMPACT_READ =
      "25609513" + "0000" + "0000" + "0102030405060708" + "0000000000100000" + "00001000";

  /** NBD_CMD_WRITE with FUA of 8 bytes at 512, cookie 2, and its payload. */
  private static final String COMPACT_WRITE_FUA =
      "25609513"
          + "0001"
          + "0001"
          + "0000000000000002"
          + "0000000000000200"
          + "00000008"
          + "0011223344556677";

  /** NBD_CMD_FLUSH, cookie 3. */
  private static final String COMPACT_FLUSH =
      "25609513" + "0000" + "0003" + "0000000000000003" + "0000000000000000" + "00000000";

  /** NBD_CMD_WRITE of 2048 bytes (over the 1024-byte limit) at 0, cookie 4, and its payload. */
  private static final String COMPACT_WRITE_TOO_LARGE =
      "25609513"
          + "0000"
          + "0001"
          + "0000000000000004"
          + "0000000000000000"
          + "00000800"
          + "ab".repeat(2048);

  /** NBD_CMD_WRITE with PAYLOAD_LEN of 4 bytes at 4096, cookie 5, and its payload. */
  private static final String EXTENDED_WRITE =
      "21e41c71"
          + "0020"
          + "0001"
          + "0000000000000005"
          + "0000000000001000"
          + "0000000000000004"
          + "deadbeef";

  /** NBD_CMD_BLOCK_STATUS with REQ_ONE of 5 GiB at 0, cookie 6: a 64-bit effect length. */
  private static final String EXTENDED_BLOCK_STATUS_5_GIB =
      "21e41c71" + "0008" + "0007" + "0000000000000006" + "0000000000000000" + "0000000140000000";

  /** NBD_CMD_TRIM with PAYLOAD_LEN of 3 bytes, cookie 7: a payload the command does not take. */
  private static final String EXTENDED_TRIM_WITH_PAYLOAD =
      "21e41c71"
          + "0020"
          + "0004"
          + "0000000000000007"
          + "0000000000000000"
          + "0000000000000003"
          + "010203";

  /** NBD_CMD_WRITE without PAYLOAD_LEN, cookie 8: length is an effect length, no payload. */
  private static final String EXTENDED_WRITE_WITHOUT_PAYLOAD_LEN =
      "21e41c71" + "0000" + "0001" + "0000000000000008" + "0000000000000000" + "0000000000001000";

  /** NBD_CMD_WRITE with PAYLOAD_LEN of 2048 bytes (over the 1024-byte limit), cookie 10. */
  private static final String EXTENDED_WRITE_TOO_LARGE =
      "21e41c71" + "0020" + "0001" + "000000000000000a" + "0000000000000000" + "0000000000000800";

  /** NBD_CMD_WRITE with PAYLOAD_LEN of 2^64 - 1 bytes, cookie 11: negative as a signed long. */
  private static final String EXTENDED_WRITE_OF_2_POW_64_MINUS_1 =
      "21e41c71" + "0020" + "0001" + "000000000000000b" + "0000000000000000" + "ffffffffffffffff";

  /** 28 bytes that start with the historic reply magic instead of a request magic. */
  private static final String BAD_MAGIC =
      "96744668" + "0000" + "0000" + "0000000000000009" + "0000000000000000" + "00000000";

  private static EmbeddedChannel compact() {
    return new EmbeddedChannel(new RequestDecoder(false, PAYLOAD_BYTES_MAX));
  }

  private static EmbeddedChannel extended() {
    return new EmbeddedChannel(new RequestDecoder(true, PAYLOAD_BYTES_MAX));
  }

  private static void send(EmbeddedChannel channel, String hex) {
    channel.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex)));
  }

  /** A decoded request's fields, its payload as hex; releases it. */
  private record Decoded(
      int flags,
      int type,
      long cookie,
      long offset,
      long length,
      String payload,
      boolean tooLarge) {
    static Decoded of(NbdRequest request) {
      try {
        return new Decoded(
            request.flags,
            request.type,
            request.cookie,
            request.offset,
            request.length,
            request.payload == null ? null : ByteBufUtil.hexDump(request.payload),
            request.payloadTooLarge);
      } finally {
        request.release();
      }
    }
  }

  private static List<Decoded> decoded(EmbeddedChannel channel) {
    List<Decoded> requests = new ArrayList<>();
    for (NbdRequest request = channel.readInbound();
        request != null;
        request = channel.readInbound()) {
      requests.add(Decoded.of(request));
    }
    return requests;
  }

  @Test
  void aCompactReadIsOneRequestWithoutPayload() {
    EmbeddedChannel channel = compact();

    send(channel, COMPACT_READ);

    assertThat(decoded(channel))
        .containsExactly(
            new Decoded(0, NBD_CMD_READ, 0x0102030405060708L, 1 << 20, 4096, null, false));
  }

  @Test
  void aCompactWriteCarriesItsPayload() {
    EmbeddedChannel channel = compact();

    send(channel, COMPACT_WRITE_FUA);

    assertThat(decoded(channel))
        .containsExactly(
            new Decoded(NBD_CMD_FLAG_FUA, NBD_CMD_WRITE, 2, 512, 8, "0011223344556677", false));
  }

  @Test
  void aWriteArrivingOneByteAtATimeIsDecodedOnceComplete() {
    EmbeddedChannel channel = compact();
    String both = COMPACT_WRITE_FUA + COMPACT_FLUSH;

    for (int i = 0; i < both.length(); i += 2) {
      send(channel, both.substring(i, i + 2));
    }

    assertThat(decoded(channel))
        .extracting(Decoded::cookie)
        .as("the write, then the flush behind it")
        .containsExactly(2L, 3L);
  }

  @Test
  void severalRequestsInOneReadAreAllDecoded() {
    EmbeddedChannel channel = compact();

    send(channel, COMPACT_READ + COMPACT_WRITE_FUA + COMPACT_FLUSH);

    assertThat(decoded(channel))
        .extracting(Decoded::type)
        .containsExactly(NBD_CMD_READ, NBD_CMD_WRITE, NBD_CMD_FLUSH);
  }

  @Test
  void aPayloadOverTheLimitIsSkippedAndTheRequestMarked() {
    // The payload is read and dropped so that the next request is found; the validator answers
    // the marked request with NBD_EINVAL.
    EmbeddedChannel channel = compact();

    send(channel, COMPACT_WRITE_TOO_LARGE + COMPACT_FLUSH);

    assertThat(decoded(channel))
        .containsExactly(
            new Decoded(0, NBD_CMD_WRITE, 4, 0, 2048, null, true),
            new Decoded(0, NBD_CMD_FLUSH, 3, 0, 0, null, false));
  }

  @Test
  void anExtendedWriteWithPayloadLenCarriesItsPayload() {
    EmbeddedChannel channel = extended();

    send(channel, EXTENDED_WRITE);

    assertThat(decoded(channel))
        .containsExactly(
            new Decoded(NBD_CMD_FLAG_PAYLOAD_LEN, NBD_CMD_WRITE, 5, 4096, 4, "deadbeef", false));
  }

  @Test
  void anExtendedRequestWithoutPayloadLenHasASixtyFourBitEffectLength() {
    EmbeddedChannel channel = extended();

    send(channel, EXTENDED_BLOCK_STATUS_5_GIB);

    assertThat(decoded(channel))
        .containsExactly(
            new Decoded(NBD_CMD_FLAG_REQ_ONE, NBD_CMD_BLOCK_STATUS, 6, 0, 5L << 30, null, false));
  }

  @Test
  void anExtendedPayloadOnAnyCommandIsConsumedSoTheNextRequestIsFound() {
    // "Request message": the server SHOULD gracefully consume length bytes of payload, even if it
    // then fails the command with NBD_EINVAL, and proceed with the next command.
    EmbeddedChannel channel = extended();

    send(channel, EXTENDED_TRIM_WITH_PAYLOAD + EXTENDED_WRITE);

    assertThat(decoded(channel))
        .containsExactly(
            new Decoded(NBD_CMD_FLAG_PAYLOAD_LEN, NBD_CMD_TRIM, 7, 0, 3, "010203", false),
            new Decoded(NBD_CMD_FLAG_PAYLOAD_LEN, NBD_CMD_WRITE, 5, 4096, 4, "deadbeef", false));
  }

  @Test
  void anExtendedWriteWithoutPayloadLenHasNoPayload() {
    EmbeddedChannel channel = extended();

    send(channel, EXTENDED_WRITE_WITHOUT_PAYLOAD_LEN + EXTENDED_WRITE);

    assertThat(decoded(channel))
        .extracting(Decoded::cookie, Decoded::payload)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(8L, null),
            org.assertj.core.groups.Tuple.tuple(5L, "deadbeef"));
  }

  @Test
  void anExtendedPayloadOverTheLimitClosesTheConnection() {
    // Extended headers, "Request message": "A server SHOULD initiate hard disconnect if a client
    // sets the NBD_CMD_FLAG_PAYLOAD_LEN flag and uses a length larger than a server's advertised
    // or default maximum payload length". Lengths are unsigned 64-bit: 2^64 - 1 is the largest.
    for (String tooLarge : List.of(EXTENDED_WRITE_TOO_LARGE, EXTENDED_WRITE_OF_2_POW_64_MINUS_1)) {
      EmbeddedChannel channel = extended();

      send(channel, tooLarge + "ab".repeat(2048) + EXTENDED_WRITE);

      assertThat(decoded(channel)).isEmpty();
      assertThat(channel.isOpen()).isFalse();
    }
  }

  @Test
  void aBadMagicClosesTheConnectionAndDecodesNothingAfterIt() {
    EmbeddedChannel channel = compact();

    send(channel, BAD_MAGIC + COMPACT_READ);

    assertThat(decoded(channel)).isEmpty();
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void aCompactRequestOnAnExtendedConnectionIsABadMagic() {
    EmbeddedChannel channel = extended();

    send(channel, COMPACT_READ + "00000000");

    assertThat(decoded(channel)).isEmpty();
    assertThat(channel.isOpen()).isFalse();
  }
}
