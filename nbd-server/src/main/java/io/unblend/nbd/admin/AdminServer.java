package io.unblend.nbd.admin;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The server's admin endpoint: a unix socket in the data directory, mode 0600 so that only the user
 * the server runs as may connect (the permissions are the access control). Each connection carries
 * one command line ({@link AdminProtocol}), which runs against the server's open store; its output
 * goes back as frames, then its exit code.
 *
 * <p>The socket is bound in a private directory, made 0600 there and only then renamed into place,
 * so that it is never reachable with wider permissions; the rename replaces the stale socket a
 * killed server left. {@link #close} removes it.
 */
public final class AdminServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());

  /** Admin commands running at once; more connections are told to retry. */
  public static final int CONNECTIONS_MAX = 8;

  /** Runs one command line; returns its exit code. */
  @FunctionalInterface
  public interface Commands {
    int execute(List<String> arguments, PrintWriter out, PrintWriter err);
  }

  private final Path socket;
  private final ServerSocketChannel channel;
  private final Commands commands;
  private final Semaphore slots = new Semaphore(CONNECTIONS_MAX);
  private final Thread acceptor;

  private AdminServer(Path socket, ServerSocketChannel channel, Commands commands) {
    this.socket = socket;
    this.channel = channel;
    this.commands = commands;
    this.acceptor = Thread.ofPlatform().daemon().name("unblend-admin").unstarted(this::accept);
  }

  /** Listens on {@code socket}, replacing a stale socket file left by a killed server. */
  public static AdminServer start(Path socket, Commands commands) throws IOException {
    Path parent = socket.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path staging =
        Files.createTempDirectory(
            parent,
            ".admin-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path staged = staging.resolve("sock");
    ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.bind(UnixDomainSocketAddress.of(staged));
      Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("rw-------"));
      Files.move(
          staged, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      channel.close();
      Files.deleteIfExists(staged);
      throw e;
    } finally {
      Files.deleteIfExists(staging);
    }
    AdminServer server = new AdminServer(socket, channel, commands);
    server.acceptor.start();
    return server;
  }

  public Path socket() {
    return socket;
  }

  private void accept() {
    while (channel.isOpen()) {
      SocketChannel connection;
      try {
        connection = channel.accept();
      } catch (AsynchronousCloseException closed) {
        return;
      } catch (IOException e) {
        LOG.log(Level.WARNING, "admin socket {0}: accept failed: {1}", socket, e.getMessage());
        return;
      }
      if (!slots.tryAcquire()) {
        Thread.ofVirtual().start(() -> refuse(connection));
        continue;
      }
      Thread.ofVirtual()
          .name("unblend-admin-command")
          .start(
              () -> {
                try {
                  serve(connection);
                } finally {
                  slots.release();
                }
              });
    }
  }

  private void serve(SocketChannel connection) {
    try (connection) {
      DataInputStream in = new DataInputStream(Channels.newInputStream(connection));
      DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(connection)));
      List<String> arguments = AdminProtocol.readRequest(in);
      PrintWriter stdout = writer(out, AdminProtocol.FRAME_STDOUT);
      PrintWriter stderr = writer(out, AdminProtocol.FRAME_STDERR);
      int exitCode = commands.execute(arguments, stdout, stderr);
      stdout.flush();
      stderr.flush();
      synchronized (out) {
        AdminProtocol.writeExit(out, exitCode);
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "admin socket {0}: {1}", socket, e.getMessage());
    }
  }

  private static PrintWriter writer(DataOutputStream out, int type) {
    return new PrintWriter(
        new OutputStreamWriter(new FrameOutputStream(out, type), StandardCharsets.UTF_8), true);
  }

  private void refuse(SocketChannel connection) {
    try (connection) {
      DataOutputStream out = new DataOutputStream(Channels.newOutputStream(connection));
      byte[] message =
          ("unblend: the server is running "
                  + CONNECTIONS_MAX
                  + " admin commands already; try again in a moment\n")
              .getBytes(StandardCharsets.UTF_8);
      AdminProtocol.writeFrame(out, AdminProtocol.FRAME_STDERR, message, 0, message.length);
      AdminProtocol.writeExit(out, 1);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "admin socket {0}: {1}", socket, e.getMessage());
    }
  }

  /** Stops accepting and removes the socket file; commands still running finish on their own. */
  @Override
  public void close() {
    try {
      channel.close();
      acceptor.join(5_000);
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "could not remove admin socket {0}: {1}", socket, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
