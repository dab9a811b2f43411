package io.unblend.nbd.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;

/**
 * One transmission request (doc/proto.md "Request message"):
 *
 * <pre>
 * compact:  u32 0x25609513, u16 flags, u16 type, u64 cookie, u64 offset, u32 length  (28 bytes)
 * extended: u32 0x21e41c71, u16 flags, u16 type, u64 cookie, u64 offset, u64 length  (32 bytes)
 * </pre>
 *
 * followed by the payload of a WRITE (or, extended, of any command with PAYLOAD_LEN).
 */
public final class NbdRequest extends AbstractReferenceCounted {
  public static final int COMPACT_BYTES = 28;
  public static final int EXTENDED_BYTES = 32;

  public final int flags;
  public final int type;
  public final long cookie;
  public final long offset;

  /** The effect length, or for WRITE the payload length. */
  public final long length;

  /** The WRITE payload, or null; owned by this request. */
  public final ByteBuf payload;

  /** The payload was larger than the server accepts and was skipped, not kept. */
  public final boolean payloadTooLarge;

  public NbdRequest(
      int flags,
      int type,
      long cookie,
      long offset,
      long length,
      ByteBuf payload,
      boolean payloadTooLarge) {
    this.flags = flags;
    this.type = type;
    this.cookie = cookie;
    this.offset = offset;
    this.length = length;
    this.payload = payload;
    this.payloadTooLarge = payloadTooLarge;
  }

  public boolean has(int flag) {
    return (flags & flag) != 0;
  }

  @Override
  protected void deallocate() {
    if (payload != null) {
      payload.release();
    }
  }

  @Override
  public NbdRequest touch(Object hint) {
    return this;
  }

  @Override
  public String toString() {
    return "request type "
        + type
        + " flags 0x"
        + Integer.toHexString(flags)
        + " offset "
        + offset
        + " length "
        + length;
  }
}
