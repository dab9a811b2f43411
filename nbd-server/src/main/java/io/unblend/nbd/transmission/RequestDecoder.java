package io.unblend.nbd.transmission;

import static io.unblend.nbd.protocol.NbdConstants.NBD_CMD_FLAG_PAYLOAD_LEN;
import static io.unblend.nbd.protocol.NbdConstants.NBD_CMD_WRITE;
import static io.unblend.nbd.protocol.NbdConstants.NBD_EXTENDED_REQUEST_MAGIC;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REQUEST_MAGIC;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.unblend.nbd.protocol.NbdRequest;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * Decodes transmission requests (doc/proto.md "Request message"), compact or extended, with their
 * payloads. A payload over the limit is read and dropped so the stream stays in sync, and the
 * request is marked so it gets an error; a wrong magic means the stream is lost: the connection
 * closes with a log line saying so.
 *
 * <p>A payload that has fully arrived is handed on as a slice of the received bytes. One still
 * arriving is copied, as it comes, into a buffer of its exact size: left in the cumulation, a large
 * payload would be copied again on every read that adds to it (the cumulation is shared with slices
 * handed on earlier, so Netty grows it by copying), which made 1 MiB writes cost a few megabytes of
 * copying each.
 *
 * <p>With compact headers a payload over the limit is skipped (at most 4 GiB); with extended
 * headers, whose payload length may be anything up to 2^64 - 1, it closes the connection.
 */
public final class RequestDecoder extends ByteToMessageDecoder {
  private static final System.Logger LOG = System.getLogger(RequestDecoder.class.getName());

  private enum State {
    HEADER,
    PAYLOAD,
    SKIP_PAYLOAD,
    BAD_MESSAGE
  }

  private final boolean extended;
  private final long payloadBytesMax;
  private State state = State.HEADER;
  private int flags;
  private int type;
  private long cookie;
  private long offset;
  private long length;
  private long payloadBytes;

  /** The payload being gathered across reads, or null. */
  private ByteBuf arriving;

  public RequestDecoder(boolean extended, long payloadBytesMax) {
    this.extended = extended;
    this.payloadBytesMax = payloadBytesMax;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (true) {
      switch (state) {
        case HEADER -> {
          int headerBytes = extended ? NbdRequest.EXTENDED_BYTES : NbdRequest.COMPACT_BYTES;
          if (in.readableBytes() < headerBytes) {
            return;
          }
          int magic = in.readInt();
          if (magic != (extended ? NBD_EXTENDED_REQUEST_MAGIC : NBD_REQUEST_MAGIC)) {
            closeLost(
                ctx,
                in,
                "request with bad magic 0x"
                    + Integer.toHexString(magic)
                    + "; the stream cannot be followed");
            return;
          }
          flags = in.readUnsignedShort();
          type = in.readUnsignedShort();
          cookie = in.readLong();
          offset = in.readLong();
          length = extended ? in.readLong() : in.readUnsignedInt();
          boolean hasPayload =
              extended ? (flags & NBD_CMD_FLAG_PAYLOAD_LEN) != 0 : type == NBD_CMD_WRITE;
          payloadBytes = hasPayload ? length : 0;
          if (payloadBytes == 0) {
            out.add(new NbdRequest(flags, type, cookie, offset, length, null, false));
            continue;
          }
          if (extended && Long.compareUnsigned(payloadBytes, payloadBytesMax) > 0) {
            // Extended headers: "A server SHOULD initiate hard disconnect if a client sets the
            // NBD_CMD_FLAG_PAYLOAD_LEN flag and uses a length larger than a server's advertised
            // or default maximum payload length" (up to 2^64 - 1: not worth skipping).
            closeLost(
                ctx,
                in,
                "request with a payload of "
                    + Long.toUnsignedString(payloadBytes)
                    + " bytes, over the "
                    + payloadBytesMax
                    + " this server takes");
            return;
          }
          state = payloadBytes > payloadBytesMax ? State.SKIP_PAYLOAD : State.PAYLOAD;
        }
        case PAYLOAD -> {
          ByteBuf payload;
          if (arriving == null && in.readableBytes() >= payloadBytes) {
            payload = in.readRetainedSlice((int) payloadBytes);
          } else {
            if (arriving == null) {
              arriving = ctx.alloc().directBuffer((int) payloadBytes, (int) payloadBytes);
            }
            arriving.writeBytes(in, Math.min(in.readableBytes(), arriving.writableBytes()));
            if (arriving.isWritable()) {
              return;
            }
            payload = arriving;
            arriving = null;
          }
          out.add(new NbdRequest(flags, type, cookie, offset, length, payload, false));
          state = State.HEADER;
        }
        case SKIP_PAYLOAD -> {
          int skip = (int) Math.min(in.readableBytes(), payloadBytes);
          in.skipBytes(skip);
          payloadBytes -= skip;
          if (payloadBytes > 0) {
            return;
          }
          out.add(new NbdRequest(flags, type, cookie, offset, length, null, true));
          state = State.HEADER;
        }
        case BAD_MESSAGE -> {
          in.skipBytes(in.readableBytes());
          return;
        }
      }
    }
  }

  /** Closes the connection at a request the stream cannot be followed past, saying why. */
  private void closeLost(ChannelHandlerContext ctx, ByteBuf in, String why) {
    LOG.log(Level.WARNING, "closing {0}: {1}", ctx.channel().remoteAddress(), why);
    state = State.BAD_MESSAGE;
    in.skipBytes(in.readableBytes());
    ctx.close();
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    if (arriving != null) {
      arriving.release(); // The connection closed in the middle of a payload.
      arriving = null;
    }
  }
}
