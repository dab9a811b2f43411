package io.unblend.nbd.handshake;

import static io.unblend.nbd.protocol.NbdConstants.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.unblend.nbd.metadata.MetadataContext;
import io.unblend.nbd.metadata.MetadataContexts;
import io.unblend.nbd.protocol.ReplyMode;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * The fixed newstyle handshake (doc/proto.md "Newstyle negotiation", "Option haggling"): the
 * greeting, the client's flags, then options until NBD_OPT_GO or NBD_OPT_EXPORT_NAME selects an
 * export. A bad option gets the spec's error reply and the connection stays usable; only a protocol
 * violation that leaves no way to stay in sync closes it.
 */
public final class HandshakeDecoder extends ByteToMessageDecoder {
  private static final System.Logger LOG = System.getLogger(HandshakeDecoder.class.getName());

  /** The longest option data accepted; longer options are skipped and refused as too big. */
  public static final int OPTION_BYTES_MAX = 64 << 10;

  private static final int OPTION_HEADER_BYTES = 16;
  private static final int ZEROES_AFTER_EXPORT_NAME = 124;
  private static final int STRING_BYTES_MAX = 4096;

  private enum State {
    /** Waiting for the client's 32-bit flags. */
    CLIENT_FLAGS,
    /** Waiting for an option header: IHAVEOPT, option, length. */
    OPTION_HEADER,
    /** Waiting for the option's data. */
    OPTION_DATA,
    /** Discarding an option's data that is too long to keep. */
    OPTION_SKIP,
    /** Negotiation is over (transmission started, or the connection is closing). */
    DONE
  }

  private final ExportRegistry exports;
  private final BlockSizes blockSizes;
  private final BiConsumer<ChannelHandlerContext, Negotiated> startTransmission;
  private final BooleanSupplier shuttingDown;
  private State state = State.CLIENT_FLAGS;
  private boolean noZeroes;
  private ReplyMode replyMode = ReplyMode.SIMPLE;
  private final MetadataContexts metadataContexts;
  private String metaContextExport;
  private List<MetadataContext> selectedContexts = List.of();
  private int option;
  private long optionBytes;

  /** Sizes advertised with NBD_INFO_BLOCK_SIZE. */
  public record BlockSizes(int minimum, int preferred, int maximum) {}

  public HandshakeDecoder(
      ExportRegistry exports,
      BlockSizes blockSizes,
      BiConsumer<ChannelHandlerContext, Negotiated> startTransmission,
      BooleanSupplier shuttingDown) {
    this.exports = exports;
    this.metadataContexts = new MetadataContexts(exports);
    this.blockSizes = blockSizes;
    this.startTransmission = startTransmission;
    this.shuttingDown = shuttingDown;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    ByteBuf greeting = ctx.alloc().buffer(18);
    greeting.writeLong(NBDMAGIC).writeLong(IHAVEOPT);
    greeting.writeShort(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
    ctx.writeAndFlush(greeting);
    super.channelActive(ctx);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (state != State.DONE) {
      switch (state) {
        case CLIENT_FLAGS -> {
          if (in.readableBytes() < 4) {
            return;
          }
          int flags = in.readInt();
          if ((flags & ~(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES)) != 0) {
            close(ctx, "client flags 0x" + Integer.toHexString(flags) + " have unknown bits");
            return;
          }
          noZeroes = (flags & NBD_FLAG_C_NO_ZEROES) != 0;
          state = State.OPTION_HEADER;
        }
        case OPTION_HEADER -> {
          if (in.readableBytes() < OPTION_HEADER_BYTES) {
            return;
          }
          long magic = in.readLong();
          option = in.readInt();
          optionBytes = in.readUnsignedInt();
          if (magic != IHAVEOPT) {
            close(ctx, "option without IHAVEOPT magic (0x" + Long.toHexString(magic) + ")");
            return;
          }
          if (option == NBD_OPT_EXPORT_NAME && optionBytes > STRING_BYTES_MAX) {
            // Its only answer is the export's size and flags: no error reply to skip it with.
            close(ctx, "NBD_OPT_EXPORT_NAME with a name of " + optionBytes + " bytes");
            return;
          }
          state = optionBytes > OPTION_BYTES_MAX ? State.OPTION_SKIP : State.OPTION_DATA;
        }
        case OPTION_SKIP -> {
          int skip = (int) Math.min(in.readableBytes(), optionBytes);
          in.skipBytes(skip);
          optionBytes -= skip;
          if (optionBytes > 0) {
            return;
          }
          state = State.OPTION_HEADER;
          if (option == NBD_OPT_ABORT) {
            // "the server MUST reply with NBD_REP_ACK" and "SHOULD ignore any data"
            // (NBD_OPT_ABORT).
            handleOption(ctx, Unpooled.EMPTY_BUFFER);
            return;
          }
          reply(ctx, NBD_REP_ERR_TOO_BIG, "option data over " + OPTION_BYTES_MAX + " bytes");
          ctx.flush();
        }
        case OPTION_DATA -> {
          if (in.readableBytes() < optionBytes) {
            return;
          }
          ByteBuf data = in.readSlice((int) optionBytes);
          state = State.OPTION_HEADER;
          handleOption(ctx, data);
        }
        case DONE -> {
          return;
        }
      }
    }
  }

  private void handleOption(ChannelHandlerContext ctx, ByteBuf data) {
    if (shuttingDown.getAsBoolean() && option != NBD_OPT_ABORT) {
      // "the server SHOULD error further options received (other than NBD_OPT_ABORT) with
      // NBD_REP_ERR_SHUTDOWN"; NBD_OPT_EXPORT_NAME has no error reply, so it closes.
      if (option == NBD_OPT_EXPORT_NAME) {
        close(ctx, "NBD_OPT_EXPORT_NAME while the server shuts down");
      } else {
        reply(ctx, NBD_REP_ERR_SHUTDOWN, "the server is shutting down");
        ctx.flush();
      }
      return;
    }
    switch (option) {
      case NBD_OPT_EXPORT_NAME -> exportName(ctx, data);
      case NBD_OPT_ABORT -> {
        reply(ctx, NBD_REP_ACK, Unpooled.EMPTY_BUFFER);
        state = State.DONE;
        ctx.flush();
        ctx.close();
      }
      case NBD_OPT_LIST -> list(ctx, data);
      case NBD_OPT_INFO, NBD_OPT_GO -> infoOrGo(ctx, data, option == NBD_OPT_GO);
      case NBD_OPT_STRUCTURED_REPLY -> {
        if (data.isReadable()) {
          reply(ctx, NBD_REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
        } else if (replyMode == ReplyMode.EXTENDED) {
          reply(ctx, NBD_REP_ERR_EXT_HEADER_REQD, "extended headers are already in use");
        } else {
          replyMode = ReplyMode.STRUCTURED;
          reply(ctx, NBD_REP_ACK, Unpooled.EMPTY_BUFFER);
        }
      }
      case NBD_OPT_EXTENDED_HEADERS -> {
        if (data.isReadable()) {
          reply(ctx, NBD_REP_ERR_INVALID, "NBD_OPT_EXTENDED_HEADERS takes no data");
        } else {
          replyMode = ReplyMode.EXTENDED;
          reply(ctx, NBD_REP_ACK, Unpooled.EMPTY_BUFFER);
        }
      }
      case NBD_OPT_LIST_META_CONTEXT, NBD_OPT_SET_META_CONTEXT ->
          metaContext(ctx, data, option == NBD_OPT_SET_META_CONTEXT);
      case NBD_OPT_STARTTLS ->
          reply(ctx, NBD_REP_ERR_UNSUP, "this server does not offer TLS (yet)");
      default -> reply(ctx, NBD_REP_ERR_UNSUP, "option " + option + " is not supported");
    }
    ctx.flush();
  }

  /** NBD_OPT_EXPORT_NAME: no error reply exists, so an unknown name closes the connection. */
  private void exportName(ChannelHandlerContext ctx, ByteBuf data) {
    String name = data.toString(StandardCharsets.UTF_8);
    Export export = exports.find(name);
    if (export == null || replyMode == ReplyMode.EXTENDED) {
      close(
          ctx,
          export == null
              ? "NBD_OPT_EXPORT_NAME for unknown export '" + name + "'"
              : "NBD_OPT_EXPORT_NAME after extended headers");
      return;
    }
    ByteBuf reply = ctx.alloc().buffer(10 + ZEROES_AFTER_EXPORT_NAME);
    reply.writeLong(export.volume().sizeBytes());
    reply.writeShort(transmissionFlags(export));
    if (!noZeroes) {
      reply.writeZero(ZEROES_AFTER_EXPORT_NAME);
    }
    ctx.write(reply);
    begin(ctx, export);
  }

  private void list(ChannelHandlerContext ctx, ByteBuf data) {
    if (data.isReadable()) {
      reply(ctx, NBD_REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
      return;
    }
    for (Export export : exports.list()) {
      byte[] name = export.name().getBytes(StandardCharsets.UTF_8);
      byte[] description = export.description().getBytes(StandardCharsets.UTF_8);
      ByteBuf payload = ctx.alloc().buffer(4 + name.length + description.length);
      payload.writeInt(name.length).writeBytes(name).writeBytes(description);
      reply(ctx, NBD_REP_SERVER, payload);
    }
    reply(ctx, NBD_REP_ACK, Unpooled.EMPTY_BUFFER);
  }

  private static String nameTooLong(long nameBytes) {
    return "an export name of " + nameBytes + " bytes; names are at most " + STRING_BYTES_MAX;
  }

  /** NBD_OPT_INFO and NBD_OPT_GO: name, then the information requests. */
  private void infoOrGo(ChannelHandlerContext ctx, ByteBuf data, boolean go) {
    if (data.readableBytes() < 4) {
      reply(ctx, NBD_REP_ERR_INVALID, "option data too short for an export name");
      return;
    }
    long nameBytes = data.readUnsignedInt();
    if (nameBytes > STRING_BYTES_MAX) {
      reply(ctx, NBD_REP_ERR_INVALID, nameTooLong(nameBytes));
      return;
    }
    if (data.readableBytes() < nameBytes + 2) {
      reply(
          ctx, NBD_REP_ERR_INVALID, "option data too short for its export name and request count");
      return;
    }
    String name = data.readCharSequence((int) nameBytes, StandardCharsets.UTF_8).toString();
    int requests = data.readUnsignedShort();
    if (data.readableBytes() != requests * 2) {
      reply(ctx, NBD_REP_ERR_INVALID, "information request count does not match the data");
      return;
    }
    boolean wantName = false;
    boolean wantDescription = false;
    for (int i = 0; i < requests; i++) {
      int type = data.readUnsignedShort();
      wantName |= type == NBD_INFO_NAME;
      wantDescription |= type == NBD_INFO_DESCRIPTION;
    }
    Export export = exports.find(name);
    if (export == null) {
      reply(ctx, NBD_REP_ERR_UNKNOWN, "no export named '" + name + "'");
      return;
    }
    ByteBuf info = ctx.alloc().buffer(12);
    info.writeShort(NBD_INFO_EXPORT)
        .writeLong(export.volume().sizeBytes())
        .writeShort(transmissionFlags(export));
    reply(ctx, NBD_REP_INFO, info);
    if (wantName) {
      byte[] bytes = export.name().getBytes(StandardCharsets.UTF_8);
      ByteBuf payload = ctx.alloc().buffer(2 + bytes.length);
      payload.writeShort(NBD_INFO_NAME).writeBytes(bytes);
      reply(ctx, NBD_REP_INFO, payload);
    }
    if (wantDescription) {
      byte[] bytes = export.description().getBytes(StandardCharsets.UTF_8);
      ByteBuf payload = ctx.alloc().buffer(2 + bytes.length);
      payload.writeShort(NBD_INFO_DESCRIPTION).writeBytes(bytes);
      reply(ctx, NBD_REP_INFO, payload);
    }
    ByteBuf sizes = ctx.alloc().buffer(14);
    sizes
        .writeShort(NBD_INFO_BLOCK_SIZE)
        .writeInt(blockSizes.minimum())
        .writeInt(blockSizes.preferred())
        .writeInt(blockSizes.maximum());
    reply(ctx, NBD_REP_INFO, sizes);
    reply(ctx, NBD_REP_ACK, Unpooled.EMPTY_BUFFER);
    if (go) {
      if (metaContextExport != null && !metaContextExport.equals(name)) {
        selectedContexts = List.of(); // Contexts were set for another export.
      }
      begin(ctx, export);
    }
  }

  /**
   * NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT: export name, then queries, each
   * answered from {@link MetadataContexts}.
   */
  private void metaContext(ChannelHandlerContext ctx, ByteBuf data, boolean set) {
    if (set) {
      // SET_META_CONTEXT replaces the earlier selection, even when it fails.
      selectedContexts = List.of();
      metaContextExport = null;
    }
    if (set && replyMode == ReplyMode.SIMPLE) {
      reply(ctx, NBD_REP_ERR_INVALID, "set structured replies or extended headers first");
      return;
    }
    if (data.readableBytes() < 4) {
      reply(ctx, NBD_REP_ERR_INVALID, "option data too short");
      return;
    }
    long nameBytes = data.readUnsignedInt();
    if (nameBytes > STRING_BYTES_MAX) {
      reply(ctx, NBD_REP_ERR_INVALID, nameTooLong(nameBytes));
      return;
    }
    if (data.readableBytes() < nameBytes + 4) {
      reply(ctx, NBD_REP_ERR_INVALID, "option data too short for its export name and query count");
      return;
    }
    String name = data.readCharSequence((int) nameBytes, StandardCharsets.UTF_8).toString();
    long queryCount = data.readUnsignedInt();
    List<String> queries = new ArrayList<>();
    for (long q = 0; q < queryCount; q++) {
      if (data.readableBytes() < 4) {
        reply(ctx, NBD_REP_ERR_INVALID, "query count does not match the data");
        return;
      }
      long queryBytes = data.readUnsignedInt();
      if (queryBytes > STRING_BYTES_MAX || data.readableBytes() < queryBytes) {
        reply(ctx, NBD_REP_ERR_INVALID, "malformed query");
        return;
      }
      queries.add(data.readCharSequence((int) queryBytes, StandardCharsets.UTF_8).toString());
    }
    if (data.isReadable()) {
      reply(ctx, NBD_REP_ERR_INVALID, "query count does not match the data");
      return;
    }
    Export export = exports.find(name);
    if (export == null) {
      reply(ctx, NBD_REP_ERR_UNKNOWN, "no export named '" + name + "'");
      return;
    }
    List<MetadataContext> found =
        set ? metadataContexts.select(export, queries) : metadataContexts.list(export, queries);
    if (set && found.size() > MetadataContexts.SELECTED_MAX) {
      reply(
          ctx,
          NBD_REP_ERR_TOO_BIG,
          "at most " + MetadataContexts.SELECTED_MAX + " metadata contexts per connection");
      return;
    }
    for (int i = 0; i < found.size(); i++) {
      byte[] context = found.get(i).name().getBytes(StandardCharsets.UTF_8);
      ByteBuf payload = ctx.alloc().buffer(4 + context.length);
      // Listing replies carry id 0 ("NBD_OPT_LIST_META_CONTEXT"); selected ones their own.
      payload.writeInt(set ? Negotiated.contextId(i) : 0).writeBytes(context);
      reply(ctx, NBD_REP_META_CONTEXT, payload);
    }
    if (set) {
      metaContextExport = name;
      selectedContexts = found;
    }
    reply(ctx, NBD_REP_ACK, Unpooled.EMPTY_BUFFER);
  }

  /**
   * What the export serves. A read-only export does not offer trim or write zeroes, as qemu-nbd and
   * nbdkit do not: they would only be refused with NBD_EPERM.
   */
  private int transmissionFlags(Export export) {
    int flags =
        NBD_FLAG_HAS_FLAGS
            | NBD_FLAG_SEND_FLUSH
            | NBD_FLAG_SEND_FUA
            | NBD_FLAG_SEND_CACHE
            | NBD_FLAG_CAN_MULTI_CONN;
    if (replyMode != ReplyMode.SIMPLE) {
      flags |= NBD_FLAG_SEND_DF;
    }
    if (export.readOnly()) {
      flags |= NBD_FLAG_READ_ONLY;
    } else {
      flags |= NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES | NBD_FLAG_SEND_FAST_ZERO;
    }
    return flags;
  }

  private void begin(ChannelHandlerContext ctx, Export export) {
    state = State.DONE;
    ctx.flush();
    startTransmission.accept(
        ctx,
        new Negotiated(
            export, replyMode, replyMode == ReplyMode.SIMPLE ? List.of() : selectedContexts));
    ctx.pipeline().remove(this);
  }

  private void reply(ChannelHandlerContext ctx, int type, String message) {
    reply(ctx, type, ctx.alloc().buffer().writeBytes(message.getBytes(StandardCharsets.UTF_8)));
  }

  /** An option reply: u64 NBD_REP_MAGIC, u32 option, u32 reply type, u32 length, data. */
  private void reply(ChannelHandlerContext ctx, int type, ByteBuf payload) {
    ByteBuf header = ctx.alloc().buffer(20);
    header
        .writeLong(NBD_REP_MAGIC)
        .writeInt(option)
        .writeInt(type)
        .writeInt(payload.readableBytes());
    ctx.write(header);
    ctx.write(payload);
  }

  private void close(ChannelHandlerContext ctx, String why) {
    LOG.log(
        Level.WARNING, "closing {0} during the handshake: {1}", ctx.channel().remoteAddress(), why);
    state = State.DONE;
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }
}
