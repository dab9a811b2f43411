package io.unblend.nbd.admin;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/** Sends a command line to the server that holds the store, and relays its output. */
public final class AdminClient {
  private AdminClient() {}

  /**
   * Runs {@code arguments} on the server listening on {@code socket}, copying its output to {@code
   * out} and {@code err}. Empty when no server listens there (no socket, or a stale one).
   *
   * @throws IOException when a server is there but cannot be reached or breaks off
   */
  public static OptionalInt forward(
      Path socket, List<String> arguments, OutputStream out, OutputStream err) throws IOException {
    if (!Files.exists(socket)) {
      return OptionalInt.empty();
    }
    SocketChannel channel;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (ConnectException | NoSuchFileException stale) {
      return OptionalInt.empty();
    } catch (SocketException e) {
      throw new IOException(
          "cannot connect to the server's admin socket "
              + socket
              + ": "
              + e.getMessage()
              + " (only the user the server runs as may use it)",
          e);
    }
    try (channel) {
      AdminProtocol.writeRequest(
          new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel))),
          arguments);
      DataInputStream in =
          new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
      return OptionalInt.of(relay(in, out, err));
    } catch (EOFException e) {
      throw new IOException(
          "the server at " + socket + " closed the admin connection before the command ended", e);
    }
  }

  private static int relay(DataInputStream in, OutputStream out, OutputStream err)
      throws IOException {
    while (true) {
      int type = in.readUnsignedByte();
      long length = in.readInt() & 0xffffffffL;
      if (length > AdminProtocol.FRAME_BYTES_MAX) {
        throw new IOException("admin frame of " + length + " bytes is over the limit");
      }
      byte[] data = new byte[(int) length];
      in.readFully(data);
      switch (type) {
        case AdminProtocol.FRAME_STDOUT -> {
          out.write(data);
          out.flush();
        }
        case AdminProtocol.FRAME_STDERR -> {
          err.write(data);
          err.flush();
        }
        case AdminProtocol.FRAME_EXIT -> {
          if (length != Integer.BYTES) {
            throw new IOException("admin exit frame of " + length + " bytes, not 4");
          }
          return ((data[0] & 0xff) << 24)
              | ((data[1] & 0xff) << 16)
              | ((data[2] & 0xff) << 8)
              | (data[3] & 0xff);
        }
        default -> throw new IOException("unknown admin frame type " + type);
      }
    }
  }
}
