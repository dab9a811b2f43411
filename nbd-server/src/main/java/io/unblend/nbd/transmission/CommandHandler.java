package io.unblend.nbd.transmission;

import static io.unblend.nbd.protocol.NbdConstants.*;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.unblend.logstore.BlockStatusRun;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.Volume;
import io.unblend.nativeio.Errno;
import io.unblend.nbd.handshake.Negotiated;
import io.unblend.nbd.metadata.MetadataContext;
import io.unblend.nbd.metadata.StatusRun;
import io.unblend.nbd.protocol.NbdRequest;
import io.unblend.nbd.protocol.Replies;
import io.unblend.nbd.protocol.ReplyMode;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Carries out transmission requests against the export's volume. Requests run concurrently and are
 * answered in any order; at most {@code inFlightMax} are in flight per connection, beyond which the
 * connection stops reading (back-pressure instead of unbounded memory). NBD_CMD_DISC, a dropped
 * connection and a server shutdown all let requests in flight finish first.
 */
public final class CommandHandler extends ChannelInboundHandlerAdapter {
  private static final System.Logger LOG = System.getLogger(CommandHandler.class.getName());

  /**
   * Read and write bytes in flight per connection beyond which it stops reading: keeps memory
   * bounded and keeps the store's own admission limit from blocking the event loop.
   */
  public static final long IN_FLIGHT_BYTES_MAX = 64L << 20;

  private final Negotiated negotiated;
  private final Volume volume;
  private final RequestValidator validator;
  private final int inFlightMax;
  private final AtomicBoolean draining;
  private final VolumeChanges changes;
  private final int payloadBytesMax;
  private final int chunkBytesMax;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong inFlightBytes = new AtomicLong();
  private volatile boolean disconnecting;
  private Replies replies;

  /** Requests decoded while there was no room, in arrival order; only the event loop uses it. */
  private final ArrayDeque<NbdRequest> waiting = new ArrayDeque<>();

  /** The size of {@link #waiting}, for other threads. */
  private final AtomicInteger waitingCount = new AtomicInteger();

  private boolean startingWaiting;

  /** Replies from other threads whose task has not run yet. */
  private final AtomicInteger repliesQueued = new AtomicInteger();

  /**
   * @param payloadBytesMax the largest read or write served
   * @param chunkBytesMax the maximum payload advertised: no reply chunk carries more
   */
  public CommandHandler(
      Negotiated negotiated,
      int payloadBytesMax,
      int chunkBytesMax,
      int inFlightMax,
      AtomicBoolean draining,
      VolumeChanges changes) {
    this.negotiated = negotiated;
    this.changes = changes;
    this.payloadBytesMax = payloadBytesMax;
    this.chunkBytesMax = chunkBytesMax;
    this.volume = negotiated.export().volume();
    this.validator = new RequestValidator(negotiated, payloadBytesMax, chunkBytesMax);
    this.inFlightMax = inFlightMax;
    this.draining = draining;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    replies = new Replies(ctx.alloc(), negotiated.replyMode());
    LOG.log(
        Level.INFO,
        "client {0} opened export {1} ({2} replies)",
        client(ctx),
        negotiated.export().name(),
        negotiated.replyMode().name().toLowerCase(java.util.Locale.ROOT));
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    LOG.log(Level.INFO, "client {0} closed export {1}", client(ctx), negotiated.export().name());
    // Never started, never answered: the client is gone.
    NbdRequest unstarted;
    while ((unstarted = waiting.pollFirst()) != null) {
      waitingCount.decrementAndGet();
      unstarted.release();
    }
    super.channelInactive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object message) {
    NbdRequest request = (NbdRequest) message;
    if (request.type == NBD_CMD_DISC) {
      request.release();
      disconnecting = true;
      closeIfIdle(ctx);
      return;
    }
    // One socket read can hold many requests, all decoded at once: those beyond the room wait
    // here, in order, holding no buffers of their own, until replies make room.
    if (!waiting.isEmpty() || !hasRoom(ctx)) {
      waiting.addLast(request);
      waitingCount.incrementAndGet();
      updateAutoRead(ctx);
      return;
    }
    start(ctx, request);
  }

  /**
   * Starts the requests waiting for room, oldest first, while there is room. A request answered at
   * once (an invalid one, CACHE) comes back here through {@link #answered}; the outer loop goes on
   * instead, so that a long queue of them does not recurse.
   */
  private void startWaiting(ChannelHandlerContext ctx) {
    if (startingWaiting) {
      return;
    }
    startingWaiting = true;
    try {
      while (!waiting.isEmpty() && hasRoom(ctx)) {
        waitingCount.decrementAndGet();
        start(ctx, waiting.pollFirst());
      }
    } finally {
      startingWaiting = false;
    }
  }

  private void start(ChannelHandlerContext ctx, NbdRequest request) {
    inFlight.incrementAndGet();
    inFlightBytes.addAndGet(requestBytes(request));
    updateAutoRead(ctx);
    RequestValidator.Refusal refusal =
        draining.get()
            ? new RequestValidator.Refusal(NBD_ESHUTDOWN, "the server is shutting down")
            : validator.check(request);
    if (refusal != null) {
      finish(
          ctx,
          request,
          replies.failed(request.cookie, request.offset, refusal.error(), refusal.reason()));
      return;
    }
    switch (request.type) {
      case NBD_CMD_READ -> read(ctx, request);
      case NBD_CMD_WRITE -> {
        if (request.length == 0) {
          finish(ctx, request, replies.done(request.cookie, request.offset, 0));
        } else {
          MemorySegment data = MemorySegment.ofBuffer(request.payload.nioBuffer());
          boolean fua = request.has(NBD_CMD_FLAG_FUA);
          answer(
              ctx,
              request,
              UnalignedRequests.aligned(request.offset, request.length)
                  ? changes.write(request.offset, data, fua)
                  : changes.readModifyWrite(request.offset, request.length, data, fua));
        }
      }
      case NBD_CMD_FLUSH -> answer(ctx, request, volume.flush());
      case NBD_CMD_TRIM -> answer(ctx, request, ranged(request, false));
      case NBD_CMD_WRITE_ZEROES ->
          answer(ctx, request, ranged(request, request.has(NBD_CMD_FLAG_NO_HOLE)));
      case NBD_CMD_CACHE -> finish(ctx, request, replies.done(request.cookie, request.offset, 0));
      case NBD_CMD_BLOCK_STATUS -> blockStatus(ctx, request);
      default -> throw new IllegalStateException("validated request of unknown type " + request);
    }
  }

  /** The client's address, or the socket path it came through. */
  private static String client(ChannelHandlerContext ctx) {
    Object remote = ctx.channel().remoteAddress();
    String text = remote == null ? "" : remote.toString();
    return text.isEmpty() ? "on unix socket " + ctx.channel().localAddress() : text;
  }

  private CompletableFuture<Void> ranged(NbdRequest request, boolean noHole) {
    boolean fua = request.has(NBD_CMD_FLAG_FUA);
    long start = request.offset;
    long length = request.length;
    if (!UnalignedRequests.aligned(start, length)) {
      if (request.type == NBD_CMD_WRITE_ZEROES && request.has(NBD_CMD_FLAG_FAST_ZERO)) {
        // Partial sectors need a read-modify-write: not faster than a write, so refuse fast.
        return CompletableFuture.failedFuture(
            new StoreException(Errno.EOPNOTSUPP, "unaligned zeroing is not fast"));
      }
      if (request.type == NBD_CMD_WRITE_ZEROES) {
        return length <= payloadBytesMax
            ? changes.readModifyWrite(start, length, null, fua)
            : CompletableFuture.failedFuture(
                new StoreException(
                    Errno.EINVAL,
                    "unaligned WRITE_ZEROES is limited to " + payloadBytesMax + " bytes"));
      }
      // TRIM is advisory: the partial sectors at either end keep their data.
      long end = UnalignedRequests.alignDown(start + length);
      start = UnalignedRequests.alignUp(start);
      length = Math.max(0, end - start);
    }
    if (length == 0) {
      return fua ? volume.flush() : CompletableFuture.completedFuture(null);
    }
    return request.type == NBD_CMD_TRIM
        ? changes.trim(start, length, fua)
        : changes.writeZeroes(start, length, noHole, fua);
  }

  private void answer(ChannelHandlerContext ctx, NbdRequest request, CompletableFuture<Void> done) {
    done.whenComplete(
        (ignored, failure) ->
            finish(
                ctx,
                request,
                failure == null
                    ? replies.done(request.cookie, request.offset, 0)
                    : errorReply(request, failure)));
  }

  private ByteBuf errorReply(NbdRequest request, Throwable failure) {
    int error = Errors.nbdError(failure);
    if (error == NBD_EIO) {
      LOG.log(
          Level.WARNING,
          "{0} on export {1} failed: {2}",
          request,
          negotiated.export().name(),
          Errors.message(failure));
    }
    return replies.failed(request.cookie, request.offset, error, Errors.message(failure));
  }

  // ---- READ ------------------------------------------------------------------------------------

  private void read(ChannelHandlerContext ctx, NbdRequest request) {
    int length = (int) request.length;
    if (length == 0) {
      finish(
          ctx,
          request,
          replies.mode() == ReplyMode.SIMPLE
              ? replies.simpleReadHeader(request.cookie)
              : replies.none(request.cookie, request.offset));
      return;
    }
    boolean holesAsChunks =
        replies.mode() != ReplyMode.SIMPLE
            && !request.has(NBD_CMD_FLAG_DF)
            && UnalignedRequests.aligned(request.offset, length);
    ByteBuf data = ctx.alloc().directBuffer(length);
    MemorySegment into = MemorySegment.ofBuffer(data.nioBuffer(0, length));
    CompletableFuture<List<BlockStatusRun>> done;
    if (holesAsChunks) {
      done = volume.readWithStatus(request.offset, into);
    } else {
      done =
          (UnalignedRequests.aligned(request.offset, length)
                  ? volume.read(request.offset, into)
                  : UnalignedRequests.read(volume, request.offset, into))
              .thenApply(ignored -> null);
    }
    done.whenComplete(
        (runs, failure) -> {
          if (failure != null) {
            data.release();
            finish(ctx, request, errorReply(request, failure));
          } else if (replies.mode() == ReplyMode.SIMPLE) {
            data.writerIndex(length);
            finish(ctx, request, replies.simpleReadHeader(request.cookie), data);
          } else {
            data.writerIndex(length);
            sendChunks(
                ctx,
                request,
                data,
                ReadChunks.of(
                    runs != null ? runs : List.of(new BlockStatusRun(length, false, false)),
                    chunkBytesMax));
          }
        });
  }

  /** The chunks of a structured read reply, the last flagged DONE. */
  private void sendChunks(
      ChannelHandlerContext ctx, NbdRequest request, ByteBuf data, List<ReadChunks.Chunk> chunks) {
    List<ByteBuf> parts = new ArrayList<>(2 * chunks.size());
    for (int i = 0; i < chunks.size(); i++) {
      ReadChunks.Chunk chunk = chunks.get(i);
      long position = request.offset + chunk.startBytes();
      boolean last = i == chunks.size() - 1;
      if (chunk.hole()) {
        parts.add(
            replies.offsetHole(
                request.cookie, request.offset, position, chunk.lengthBytes(), last));
      } else {
        parts.add(
            replies.offsetDataHeader(
                request.cookie, request.offset, position, chunk.lengthBytes(), last));
        parts.add(data.retainedSlice(chunk.startBytes(), chunk.lengthBytes()));
      }
    }
    data.release();
    finish(ctx, request, parts.toArray(ByteBuf[]::new));
  }

  // ---- BLOCK_STATUS ----------------------------------------------------------------------------

  /**
   * One chunk per selected context, in the order they were selected, the last flagged DONE
   * (doc/proto.md "Metadata querying"); each context is asked for the whole range at once.
   */
  private void blockStatus(ChannelHandlerContext ctx, NbdRequest request) {
    if (request.length == 0) {
      finish(
          ctx,
          request,
          replies.failed(
              request.cookie, request.offset, NBD_EINVAL, "a block status query of 0 bytes"));
      return;
    }
    // Unaligned queries cover the surrounding sectors; the first run starts at the offset asked.
    long start = UnalignedRequests.alignDown(request.offset);
    long end = UnalignedRequests.alignUp(request.offset + request.length);
    List<MetadataContext> contexts = negotiated.contexts();
    List<CompletableFuture<List<StatusRun>>> statuses = new ArrayList<>(contexts.size());
    for (MetadataContext context : contexts) {
      statuses.add(context.status(volume, start, end - start));
    }
    CompletableFuture.allOf(statuses.toArray(new CompletableFuture<?>[0]))
        .whenComplete(
            (ignored, failure) -> {
              if (failure != null) {
                finish(ctx, request, errorReply(request, failure));
                return;
              }
              ByteBuf[] chunks = new ByteBuf[contexts.size()];
              for (int i = 0; i < chunks.length; i++) {
                chunks[i] =
                    replies.blockStatus(
                        request.cookie,
                        request.offset,
                        Negotiated.contextId(i),
                        BlockStatusDescriptors.clip(
                            statuses.get(i).join(),
                            request.offset - start,
                            request.length,
                            request.has(NBD_CMD_FLAG_REQ_ONE)
                                ? 1
                                : replies.blockStatusDescriptorsMax(chunkBytesMax)),
                        i == chunks.length - 1);
              }
              finish(ctx, request, chunks);
            });
  }

  // ---- completion ------------------------------------------------------------------------------

  /**
   * Writes a whole reply's parts in one event-loop task, so that no other reply can come between
   * them, and frees the request's slot.
   */
  private void finish(ChannelHandlerContext ctx, NbdRequest request, ByteBuf... parts) {
    long bytes = requestBytes(request);
    request.release();
    if (ctx.executor().inEventLoop()) {
      writeParts(ctx, parts);
      ctx.flush();
      answered(ctx, bytes);
      return;
    }
    // From the storage thread, completions come in bursts: each reply is written unflushed by a
    // task of its own, and the task flushes only if no other reply was queued since. Tasks run in
    // order, so the last one flushes every reply written before it; and the request counts as
    // answered only there, after its reply was written, so a disconnect waiting for the last
    // answer cannot close the channel before the reply is on it.
    repliesQueued.incrementAndGet();
    try {
      ctx.executor()
          .execute(
              () -> {
                writeParts(ctx, parts);
                if (repliesQueued.decrementAndGet() == 0) {
                  ctx.flush();
                }
                answered(ctx, bytes);
              });
    } catch (RejectedExecutionException stopped) {
      // The event loop has shut down (the server stopped before this request finished): no one
      // will write the reply, so free it.
      for (ByteBuf part : parts) {
        part.release();
      }
    }
  }

  private static void writeParts(ChannelHandlerContext ctx, ByteBuf[] parts) {
    for (ByteBuf part : parts) {
      ctx.write(part);
    }
  }

  private void answered(ChannelHandlerContext ctx, long bytes) {
    replyDone(bytes);
    startWaiting(ctx);
    // Decided on the event loop only, so a stale decision can never leave reading off.
    updateAutoRead(ctx);
    closeIfIdle(ctx);
  }

  private void replyDone(long bytes) {
    inFlight.decrementAndGet();
    inFlightBytes.addAndGet(-bytes);
  }

  /**
   * Replies that wait for the client beyond the channel's high water mark make it unwritable: no
   * more requests are read until the client takes them, so a client that does not read cannot make
   * the server hold its replies without bound.
   */
  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    startWaiting(ctx);
    updateAutoRead(ctx);
    super.channelWritabilityChanged(ctx);
  }

  /** Whether another request may start: below both limits, and replies not piling up. */
  private boolean hasRoom(ChannelHandlerContext ctx) {
    return inFlight.get() < inFlightMax
        && inFlightBytes.get() < IN_FLIGHT_BYTES_MAX
        && ctx.channel().isWritable();
  }

  private void updateAutoRead(ChannelHandlerContext ctx) {
    boolean room = hasRoom(ctx) && waiting.isEmpty() && !disconnecting;
    if (ctx.channel().config().isAutoRead() != room) {
      ctx.channel().config().setAutoRead(room);
    }
  }

  private void closeIfIdle(ChannelHandlerContext ctx) {
    if (disconnecting && inFlight.get() == 0 && waiting.isEmpty()) {
      ctx.flush();
      ctx.close();
    }
  }

  private static long requestBytes(NbdRequest request) {
    return request.type == NBD_CMD_READ || request.type == NBD_CMD_WRITE ? request.length : 0;
  }

  /** Requests still being carried out on this connection, or waiting to start. */
  public int inFlight() {
    return inFlight.get() + waitingCount.get();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.log(
        Level.WARNING,
        "closing {0} after an error: {1}",
        ctx.channel().remoteAddress(),
        cause.toString());
    ctx.close();
  }
}
