package io.unblend.nbd.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.unblend.logstore.Volume;
import io.unblend.nbd.handshake.ExportRegistry;
import io.unblend.nbd.handshake.HandshakeDecoder;
import io.unblend.nbd.handshake.Negotiated;
import io.unblend.nbd.protocol.ReplyMode;
import io.unblend.nbd.transmission.CommandHandler;
import io.unblend.nbd.transmission.RequestDecoder;
import io.unblend.nbd.transmission.VolumeChanges;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The NBD server: listens on TCP addresses and unix sockets, runs each connection's handshake and
 * then its transmission phase. {@link #drain} answers requests in flight, refuses new ones with
 * NBD_ESHUTDOWN, then closes every connection.
 */
public final class NbdServer implements ExportConnections, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(NbdServer.class.getName());

  /**
   * Replies waiting for a client beyond the high mark stop the connection reading requests (see
   * CommandHandler), until they fall below the low mark.
   */
  private static final WriteBufferWaterMark REPLIES_WAITING =
      new WriteBufferWaterMark(4 << 20, 16 << 20);

  /**
   * Limits of the protocol layer, each a named setting of the serve command.
   *
   * @param advertisedPayloadBytesMax the maximum payload announced in NBD_INFO_BLOCK_SIZE
   * @param payloadBytesMax the largest read or write accepted; more than advertised, for clients
   *     that never asked (doc/proto.md: a server should accept at least 2^25 from them)
   * @param requestsInFlightMax requests in flight per connection before it stops reading
   * @param connectionsMax connections open at once; one more is closed as soon as it is accepted
   */
  public record Limits(
      int advertisedPayloadBytesMax,
      int payloadBytesMax,
      int requestsInFlightMax,
      int connectionsMax) {}

  /** File type bits of st_mode, and the type of a socket (stat(2)). */
  private static final int S_IFMT = 0170000;

  private static final int S_IFSOCK = 0140000;

  private final ExportRegistry exports;
  private final Limits limits;
  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers =
      new MultiThreadIoEventLoopGroup(
          Math.max(2, Runtime.getRuntime().availableProcessors()), NioIoHandler.newFactory());
  private final ChannelGroup listeners = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger connectionsOpen = new AtomicInteger();
  private final List<Connection> transmitting = new ArrayList<>();
  private final List<Path> sockets = new ArrayList<>();
  private final AtomicBoolean draining = new AtomicBoolean();

  /** A connection in transmission: its channel, the export it chose and its request handler. */
  private record Connection(Channel channel, String exportName, CommandHandler handler) {}

  /**
   * One per volume served, shared by all its connections so that a read-modify-write is ordered
   * against every change to its sectors. Kept for the server's life: a few small objects for each
   * volume ever served, idle when no read-modify-write is queued.
   */
  private final Map<Volume, VolumeChanges> changes = new ConcurrentHashMap<>();

  public NbdServer(ExportRegistry exports, Limits limits) {
    this.exports = exports;
    this.limits = limits;
  }

  /** Listens on a TCP address; returns the bound address (port 0 picks a free one). */
  public InetSocketAddress listenTcp(InetSocketAddress address)
      throws InterruptedException, IOException {
    Channel channel =
        bound(
            bootstrap()
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .bind(address),
            address.getHostString() + ":" + address.getPort());
    listeners.add(channel);
    return (InetSocketAddress) channel.localAddress();
  }

  /** Listens on a unix socket, replacing a stale socket file left by a dead server. */
  public void listenUnix(Path socket) throws InterruptedException, IOException {
    if (isStaleSocket(socket)) {
      Files.deleteIfExists(socket);
    }
    SocketAddress address = UnixDomainSocketAddress.of(socket);
    Channel channel =
        bound(
            bootstrap().channel(NioServerDomainSocketChannel.class).bind(address),
            "unix socket " + socket);
    listeners.add(channel);
    sockets.add(socket);
  }

  /**
   * Whether the file at {@code socket} is a socket a dead server left, to be replaced; false when
   * nothing is there. Anything else there is an error and must stay: a file that is no socket, or a
   * socket that a live server listens on. The probe never blocks: a live server whose backlog is
   * full still counts as live.
   */
  public static boolean isStaleSocket(Path socket) throws IOException {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    String where = "cannot listen on unix socket " + socket + ": ";
    int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IOException(where + "a file that is no socket is there");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.configureBlocking(false);
      probe.connect(UnixDomainSocketAddress.of(socket)); // Connected, or pending: it listens.
    } catch (ConnectException refused) {
      return true;
    } catch (IOException e) {
      throw new IOException(
          where + "cannot tell whether a server listens there (" + ErrorMessages.of(e) + ")", e);
    }
    throw new IOException(where + "another server listens there");
  }

  /** The listening channel, or an error that names the address (Netty's names nothing). */
  private static Channel bound(ChannelFuture binding, String where)
      throws InterruptedException, IOException {
    binding.await();
    if (!binding.isSuccess()) {
      Throwable cause = binding.cause();
      throw new IOException("cannot listen on " + where + ": " + cause.getMessage(), cause);
    }
    return binding.channel();
  }

  private ServerBootstrap bootstrap() {
    return new ServerBootstrap()
        .group(boss, workers)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, REPLIES_WAITING)
        .childHandler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel channel) {
                if (!admitted(channel)) {
                  return;
                }
                connections.add(channel);
                channel
                    .pipeline()
                    .addLast(
                        "handshake",
                        new HandshakeDecoder(
                            exports,
                            new HandshakeDecoder.BlockSizes(
                                512, 4096, limits.advertisedPayloadBytesMax()),
                            NbdServer.this::startTransmission,
                            draining::get));
              }
            });
  }

  /**
   * Counts a new connection against {@link Limits#connectionsMax}, or closes it at once: NBD has no
   * way to refuse before the greeting, so the client sees the connection closed (as nbd-server's
   * max_connections does).
   */
  private boolean admitted(Channel channel) {
    if (connectionsOpen.incrementAndGet() > limits.connectionsMax()) {
      connectionsOpen.decrementAndGet();
      LOG.log(
          Level.WARNING,
          "client {0}: connection refused: {1} connections are open, as many as --max-connections"
              + " allows",
          channel.remoteAddress(),
          limits.connectionsMax());
      channel.close();
      return false;
    }
    channel.closeFuture().addListener(closed -> connectionsOpen.decrementAndGet());
    return true;
  }

  private void startTransmission(ChannelHandlerContext ctx, Negotiated negotiated) {
    CommandHandler handler =
        new CommandHandler(
            negotiated,
            limits.payloadBytesMax(),
            limits.advertisedPayloadBytesMax(),
            limits.requestsInFlightMax(),
            draining,
            changes.computeIfAbsent(negotiated.export().volume(), VolumeChanges::new));
    Connection connection = new Connection(ctx.channel(), negotiated.export().name(), handler);
    synchronized (transmitting) {
      transmitting.add(connection);
    }
    ctx.channel()
        .closeFuture()
        .addListener(
            closed -> {
              synchronized (transmitting) {
                transmitting.remove(connection);
              }
            });
    ctx.pipeline()
        .addAfter(
            ctx.name(),
            "requests",
            new RequestDecoder(
                negotiated.replyMode() == ReplyMode.EXTENDED, limits.payloadBytesMax()))
        .addAfter("requests", "commands", handler);
  }

  /**
   * Stops accepting, answers new requests with NBD_ESHUTDOWN, waits up to {@code timeoutMillis} for
   * requests in flight, then closes every connection.
   */
  public void drain(long timeoutMillis) throws InterruptedException {
    draining.set(true);
    listeners.close().await();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (System.nanoTime() < deadline && busy()) {
      Thread.sleep(10);
    }
    int open = connections.size();
    connections.close().await();
    LOG.log(Level.INFO, "NBD server drained and closed {0} connections", open);
  }

  private boolean busy() {
    synchronized (transmitting) {
      for (Connection connection : transmitting) {
        if (connection.handler().inFlight() > 0) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public int count(String exportName) {
    return connectionsTo(exportName).size();
  }

  @Override
  public int close(String exportName) {
    List<Connection> closing = connectionsTo(exportName);
    for (Connection connection : closing) {
      LOG.log(
          Level.INFO,
          "client {0}: closing its connection to export {1}, as asked",
          connection.channel().remoteAddress(),
          exportName);
      connection.channel().close().awaitUninterruptibly();
    }
    return closing.size();
  }

  private List<Connection> connectionsTo(String exportName) {
    synchronized (transmitting) {
      return transmitting.stream()
          .filter(connection -> connection.exportName().equals(exportName))
          .toList();
    }
  }

  @Override
  public void close() {
    try {
      if (!draining.get()) {
        drain(10_000);
      }
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).await();
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Path socket : sockets) {
      try {
        Files.deleteIfExists(socket);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "could not remove socket {0}: {1}", socket, e.getMessage());
      }
    }
  }
}
