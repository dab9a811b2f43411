package io.unblend.nbd.protocol;

import static io.unblend.nbd.protocol.NbdConstants.NBD_EXTENDED_REPLY_MAGIC;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REPLY_FLAG_DONE;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REPLY_TYPE_BLOCK_STATUS;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REPLY_TYPE_BLOCK_STATUS_EXT;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REPLY_TYPE_ERROR;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REPLY_TYPE_NONE;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REPLY_TYPE_OFFSET_DATA;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REPLY_TYPE_OFFSET_HOLE;
import static io.unblend.nbd.protocol.NbdConstants.NBD_SIMPLE_REPLY_MAGIC;
import static io.unblend.nbd.protocol.NbdConstants.NBD_STRUCTURED_REPLY_MAGIC;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Every transmission-phase reply layout (doc/proto.md "Simple reply message", "Structured reply
 * chunk message", and the extension's "Extended reply chunk message"), in one place:
 *
 * <pre>
 * simple:     u32 0x67446698, u32 error, u64 cookie                      (16 bytes, then data)
 * structured: u32 0x668e33ef, u16 flags, u16 type, u64 cookie, u32 length             (20 bytes)
 * extended:   u32 0x6e8a278c, u16 flags, u16 type, u64 cookie, u64 offset, u64 length (32 bytes)
 * </pre>
 */
public final class Replies {
  public static final int SIMPLE_HEADER_BYTES = 16;
  public static final int STRUCTURED_HEADER_BYTES = 20;
  public static final int EXTENDED_HEADER_BYTES = 32;

  /** The longest message an ERROR chunk carries, in bytes (the spec's limit for strings). */
  private static final int ERROR_MESSAGE_BYTES_MAX = 4096;

  private final ByteBufAllocator allocator;
  private final ReplyMode mode;

  public Replies(ByteBufAllocator allocator, ReplyMode mode) {
    this.allocator = allocator;
    this.mode = mode;
  }

  public ReplyMode mode() {
    return mode;
  }

  /** A reply without payload: success or an NBD error. */
  public ByteBuf done(long cookie, long requestOffset, int error) {
    if (error != 0 && mode != ReplyMode.SIMPLE) {
      return error(cookie, requestOffset, error, "");
    }
    if (mode == ReplyMode.EXTENDED) {
      ByteBuf buf = allocator.buffer(EXTENDED_HEADER_BYTES);
      chunkHeader(buf, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, cookie, requestOffset, 0);
      return buf;
    }
    ByteBuf buf = allocator.buffer(SIMPLE_HEADER_BYTES);
    buf.writeInt(NBD_SIMPLE_REPLY_MAGIC).writeInt(error).writeLong(cookie);
    return buf;
  }

  /** The header of a simple reply to a successful read; the data follows it. */
  public ByteBuf simpleReadHeader(long cookie) {
    ByteBuf buf = allocator.buffer(SIMPLE_HEADER_BYTES);
    buf.writeInt(NBD_SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(cookie);
    return buf;
  }

  /** The header and offset of an OFFSET_DATA chunk of {@code dataBytes}; the data follows. */
  public ByteBuf offsetDataHeader(
      long cookie, long requestOffset, long dataOffset, int dataBytes, boolean done) {
    ByteBuf buf = allocator.buffer(EXTENDED_HEADER_BYTES + Long.BYTES);
    chunkHeader(
        buf,
        done ? NBD_REPLY_FLAG_DONE : 0,
        NBD_REPLY_TYPE_OFFSET_DATA,
        cookie,
        requestOffset,
        Long.BYTES + (long) dataBytes);
    buf.writeLong(dataOffset);
    return buf;
  }

  /** An OFFSET_HOLE chunk: {@code holeBytes} of zeros at {@code holeOffset}. */
  public ByteBuf offsetHole(
      long cookie, long requestOffset, long holeOffset, int holeBytes, boolean done) {
    ByteBuf buf = allocator.buffer(EXTENDED_HEADER_BYTES + 12);
    chunkHeader(
        buf, done ? NBD_REPLY_FLAG_DONE : 0, NBD_REPLY_TYPE_OFFSET_HOLE, cookie, requestOffset, 12);
    buf.writeLong(holeOffset).writeInt(holeBytes);
    return buf;
  }

  /** A final NONE chunk, ending a reply whose other chunks were sent already. */
  public ByteBuf none(long cookie, long requestOffset) {
    ByteBuf buf = allocator.buffer(EXTENDED_HEADER_BYTES);
    chunkHeader(buf, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, cookie, requestOffset, 0);
    return buf;
  }

  /**
   * A failed request's reply: a simple reply with the error, or with structured replies an ERROR
   * chunk that also carries the message (doc/proto.md: "The server SHOULD prefer sending errors via
   * a structured reply, as the error can then be accompanied by a string payload").
   */
  public ByteBuf failed(long cookie, long requestOffset, int error, String message) {
    return mode == ReplyMode.SIMPLE
        ? done(cookie, requestOffset, error)
        : error(cookie, requestOffset, error, message);
  }

  /** An ERROR chunk with a message for a human, ending the reply. */
  public ByteBuf error(long cookie, long requestOffset, int error, String message) {
    byte[] text = message.getBytes(StandardCharsets.UTF_8);
    int textBytes = Math.min(text.length, ERROR_MESSAGE_BYTES_MAX);
    while (textBytes < text.length && (text[textBytes] & 0xc0) == 0x80) {
      textBytes--; // Not inside a UTF-8 sequence: the message stays valid UTF-8.
    }
    ByteBuf buf = allocator.buffer(EXTENDED_HEADER_BYTES + 6 + textBytes);
    chunkHeader(
        buf, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR, cookie, requestOffset, 6L + textBytes);
    buf.writeInt(error).writeShort(textBytes).writeBytes(text, 0, textBytes);
    return buf;
  }

  /**
   * The most descriptors one BLOCK_STATUS (or BLOCK_STATUS_EXT) chunk carries: no more than fit in
   * {@code payloadBytesMax}, the maximum payload advertised ("A server MUST NOT send a chunk where
   * any variable-length portion of the chunk is larger than any advertised maximum payload size"),
   * and no more than 2^20 ("Servers SHOULD NOT send more than 2^20 extents in a single reply
   * chunk").
   */
  public int blockStatusDescriptorsMax(int payloadBytesMax) {
    int descriptorBytes = mode == ReplyMode.EXTENDED ? 16 : 8;
    return Math.max(1, Math.min(1 << 20, payloadBytesMax / descriptorBytes));
  }

  /**
   * A BLOCK_STATUS (or, with extended headers, BLOCK_STATUS_EXT) chunk for one context, each
   * descriptor {length, flags}; {@code done} on the last context's chunk of the reply.
   */
  public ByteBuf blockStatus(
      long cookie, long requestOffset, int contextId, List<long[]> descriptors, boolean done) {
    boolean extended = mode == ReplyMode.EXTENDED;
    int descriptorBytes = extended ? 16 : 8;
    long payload = (extended ? 8 : 4) + (long) descriptors.size() * descriptorBytes;
    ByteBuf buf = allocator.buffer(EXTENDED_HEADER_BYTES + (int) payload);
    chunkHeader(
        buf,
        done ? NBD_REPLY_FLAG_DONE : 0,
        extended ? NBD_REPLY_TYPE_BLOCK_STATUS_EXT : NBD_REPLY_TYPE_BLOCK_STATUS,
        cookie,
        requestOffset,
        payload);
    buf.writeInt(contextId);
    if (extended) {
      buf.writeInt(descriptors.size());
    }
    for (long[] descriptor : descriptors) {
      if (extended) {
        buf.writeLong(descriptor[0]).writeLong(descriptor[1]);
      } else {
        buf.writeInt((int) descriptor[0]).writeInt((int) descriptor[1]);
      }
    }
    return buf;
  }

  private void chunkHeader(
      ByteBuf buf, int flags, int type, long cookie, long requestOffset, long payloadBytes) {
    if (mode == ReplyMode.EXTENDED) {
      buf.writeInt(NBD_EXTENDED_REPLY_MAGIC)
          .writeShort(flags)
          .writeShort(type)
          .writeLong(cookie)
          .writeLong(requestOffset)
          .writeLong(payloadBytes);
    } else {
      buf.writeInt(NBD_STRUCTURED_REPLY_MAGIC)
          .writeShort(flags)
          .writeShort(type)
          .writeLong(cookie)
          .writeInt((int) payloadBytes);
    }
  }
}
