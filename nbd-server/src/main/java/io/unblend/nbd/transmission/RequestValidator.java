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

  RequestValidator(Negotiated negotiated, int payloadBytesMax) {
    this.negotiated = negotiated;
    this.payloadBytesMax = payloadBytesMax;
  }

  /** 0 when the request may proceed, else the NBD error to answer with. */
  int check(NbdRequest request) {
    int allowed = NBD_CMD_FLAG_FUA;
    switch (request.type) {
      case NBD_CMD_READ ->
          allowed |= negotiated.replyMode() == ReplyMode.SIMPLE ? 0 : NBD_CMD_FLAG_DF;
      case NBD_CMD_WRITE_ZEROES -> allowed |= NBD_CMD_FLAG_NO_HOLE | NBD_CMD_FLAG_FAST_ZERO;
      case NBD_CMD_BLOCK_STATUS -> allowed |= NBD_CMD_FLAG_REQ_ONE;
      case NBD_CMD_WRITE, NBD_CMD_TRIM, NBD_CMD_FLUSH, NBD_CMD_CACHE, NBD_CMD_DISC -> {}
      default -> {
        return NBD_EINVAL;
      }
    }
    if (request.type == NBD_CMD_WRITE && negotiated.replyMode() == ReplyMode.EXTENDED) {
      allowed |= NBD_CMD_FLAG_PAYLOAD_LEN;
    }
    if ((request.flags & ~allowed) != 0 || request.payloadTooLarge) {
      return NBD_EINVAL;
    }
    if (request.type == NBD_CMD_WRITE
        && negotiated.replyMode() == ReplyMode.EXTENDED
        && !request.has(NBD_CMD_FLAG_PAYLOAD_LEN)) {
      return NBD_EINVAL;
    }
    if (request.type == NBD_CMD_FLUSH || request.type == NBD_CMD_DISC) {
      return 0;
    }
    boolean writes =
        request.type == NBD_CMD_WRITE
            || request.type == NBD_CMD_TRIM
            || request.type == NBD_CMD_WRITE_ZEROES;
    if (writes && negotiated.export().readOnly()) {
      return NBD_EPERM;
    }
    if (request.type == NBD_CMD_BLOCK_STATUS && negotiated.contexts().isEmpty()) {
      return NBD_EINVAL;
    }
    if ((request.type == NBD_CMD_READ || request.type == NBD_CMD_WRITE)
        && request.length > payloadBytesMax) {
      return NBD_EINVAL;
    }
    long size = negotiated.export().volume().sizeBytes();
    if (request.offset < 0 || request.length < 0 || request.offset > size - request.length) {
      return request.type == NBD_CMD_WRITE || request.type == NBD_CMD_WRITE_ZEROES
          ? NBD_ENOSPC
          : NBD_EINVAL;
    }
    return 0;
  }
}
