package io.unblend.nbd.transmission;

import static io.unblend.nbd.protocol.NbdConstants.*;

import io.unblend.nbd.handshake.Negotiated;
import io.unblend.nbd.protocol.NbdRequest;
import io.unblend.nbd.protocol.ReplyMode;

/**
 * Every check a request passes before it reaches the store, in one place (doc/proto.md "Error
 * values" and each command's section): known command and flags, alignment to the 512-byte minimum
 * block size, the maximum payload, the export's bounds and read-only state.
 */
final class RequestValidator {
  private final Negotiated negotiated;
  private final int payloadBytesMax;
  private final int chunkBytesMax;

  /**
   * @param payloadBytesMax the largest read or write served
   * @param chunkBytesMax the maximum payload advertised, the most data one reply chunk carries
   */
  RequestValidator(Negotiated negotiated, int payloadBytesMax, int chunkBytesMax) {
    this.negotiated = negotiated;
    this.payloadBytesMax = payloadBytesMax;
    this.chunkBytesMax = chunkBytesMax;
  }

  /** Why a request is answered with an error instead of being served. */
  record Refusal(int error, String reason) {}

  /** Null when the request may proceed, else the NBD error to answer with and why. */
  Refusal check(NbdRequest request) {
    int allowed = NBD_CMD_FLAG_FUA;
    switch (request.type) {
      case NBD_CMD_READ ->
          allowed |= negotiated.replyMode() == ReplyMode.SIMPLE ? 0 : NBD_CMD_FLAG_DF;
      case NBD_CMD_WRITE_ZEROES -> allowed |= NBD_CMD_FLAG_NO_HOLE | NBD_CMD_FLAG_FAST_ZERO;
      case NBD_CMD_BLOCK_STATUS -> allowed |= NBD_CMD_FLAG_REQ_ONE;
      case NBD_CMD_WRITE, NBD_CMD_TRIM, NBD_CMD_FLUSH, NBD_CMD_CACHE, NBD_CMD_DISC -> {}
      default -> {
        return new Refusal(NBD_EINVAL, "unknown command " + request.type);
      }
    }
    if (request.type == NBD_CMD_WRITE && negotiated.replyMode() == ReplyMode.EXTENDED) {
      allowed |= NBD_CMD_FLAG_PAYLOAD_LEN;
    }
    if ((request.flags & ~allowed) != 0) {
      return new Refusal(
          NBD_EINVAL,
          "flags 0x"
              + Integer.toHexString(request.flags & ~allowed)
              + " are not valid on this command here");
    }
    if (request.payloadTooLarge) {
      return new Refusal(
          NBD_EINVAL, "a payload of over " + payloadBytesMax + " bytes (its data was discarded)");
    }
    if (request.type == NBD_CMD_WRITE
        && negotiated.replyMode() == ReplyMode.EXTENDED
        && !request.has(NBD_CMD_FLAG_PAYLOAD_LEN)) {
      return new Refusal(
          NBD_EINVAL, "a write with extended headers needs NBD_CMD_FLAG_PAYLOAD_LEN");
    }
    if (request.type == NBD_CMD_FLUSH || request.type == NBD_CMD_DISC) {
      return null;
    }
    boolean writes =
        request.type == NBD_CMD_WRITE
            || request.type == NBD_CMD_TRIM
            || request.type == NBD_CMD_WRITE_ZEROES;
    if (writes && negotiated.export().readOnly()) {
      return new Refusal(NBD_EPERM, "export " + negotiated.export().name() + " is read-only");
    }
    if (request.type == NBD_CMD_BLOCK_STATUS && negotiated.contexts().isEmpty()) {
      return new Refusal(NBD_EINVAL, "no metadata context was selected");
    }
    if ((request.type == NBD_CMD_READ || request.type == NBD_CMD_WRITE)
        && request.length > payloadBytesMax) {
      return new Refusal(
          NBD_EINVAL,
          request.length + " bytes is over the " + payloadBytesMax + " this server takes");
    }
    if (request.type == NBD_CMD_READ
        && request.has(NBD_CMD_FLAG_DF)
        && request.length > chunkBytesMax) {
      // NBD_CMD_READ: "A server MAY reject a client's request with the error NBD_EOVERFLOW if the
      // length is too large to send without fragmentation"; one chunk may not carry more than the
      // maximum payload advertised (at least 64 KiB, which the server "MUST support").
      return new Refusal(
          NBD_EOVERFLOW,
          request.length
              + " bytes do not fit in one chunk of at most "
              + chunkBytesMax
              + "; read without NBD_CMD_FLAG_DF");
    }
    long size = negotiated.export().volume().sizeBytes();
    if (request.offset < 0 || request.length < 0 || request.offset > size - request.length) {
      return new Refusal(
          request.type == NBD_CMD_WRITE || request.type == NBD_CMD_WRITE_ZEROES
              ? NBD_ENOSPC
              : NBD_EINVAL,
          Long.toUnsignedString(request.offset)
              + "+"
              + Long.toUnsignedString(request.length)
              + " is beyond the export's "
              + size
              + " bytes");
    }
    return null;
  }
}
