package io.unblend.nbd.interop;

import static io.unblend.nbd.protocol.NbdConstants.IHAVEOPT;
import static io.unblend.nbd.protocol.NbdConstants.NBD_EXTENDED_REPLY_MAGIC;
import static io.unblend.nbd.protocol.NbdConstants.NBD_EXTENDED_REQUEST_MAGIC;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REPLY_FLAG_DONE;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REP_ACK;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REP_MAGIC;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REQUEST_MAGIC;
import static io.unblend.nbd.protocol.NbdConstants.NBD_SIMPLE_REPLY_MAGIC;
import static io.unblend.nbd.protocol.NbdConstants.NBD_STRUCTURED_REPLY_MAGIC;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A hand-rolled NBD client over a plain socket, for what no installed client can send: extended
 * headers (Debian's libnbd 1.14 predates them), malformed options, flags a real client refuses to
 * set. Every method writes or reads exactly the bytes doc/proto.md describes, big-endian.
 */
final class RawNbdConnection implements AutoCloseable {
  private static final int READ_TIMEOUT_MILLIS = 10_000;

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;

  private RawNbdConnection(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = new DataOutputStream(socket.getOutputStream());
  }

  static RawNbdConnection open(ServerProcess server) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(server.host(), server.port()), READ_TIMEOUT_MILLIS);
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    socket.setTcpNoDelay(true);
    return new RawNbdConnection(socket);
  }

  /** How long a read waits for the server before failing the test. */
  RawNbdConnection readTimeout(java.time.Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    return this;
  }

  /** Reads the 18-byte greeting ("Newstyle negotiation") and returns the handshake flags. */
  int readGreeting() throws IOException {
    long nbdMagic = in.readLong();
    long optionMagic = in.readLong();
    assertThat(nbdMagic).as("NBDMAGIC").isEqualTo(0x4e42444d41474943L);
    assertThat(optionMagic).as("IHAVEOPT").isEqualTo(IHAVEOPT);
    return in.readUnsignedShort();
  }

  void sendClientFlags(int flags) throws IOException {
    out.writeInt(flags);
    out.flush();
  }

  /** The greeting and the client flags FIXED_NEWSTYLE | NO_ZEROES. */
  RawNbdConnection handshake() throws IOException {
    readGreeting();
    sendClientFlags(0b11);
    return this;
  }

  /** An option: IHAVEOPT, option, length, data ("Fixed newstyle negotiation"). */
  void sendOption(int option, byte[] data) throws IOException {
    out.writeLong(IHAVEOPT);
    out.writeInt(option);
    out.writeInt(data.length);
    out.write(data);
    out.flush();
  }

  /** One option reply: magic, option, reply type, length, data. */
  record OptionReply(int option, int type, byte[] data) {
    boolean isError() {
      return type < 0;
    }

    String text() {
      return new String(data, StandardCharsets.UTF_8);
    }
  }

  OptionReply readOptionReply() throws IOException {
    long magic = in.readLong();
    assertThat(magic).as("option reply magic").isEqualTo(NBD_REP_MAGIC);
    int option = in.readInt();
    int type = in.readInt();
    byte[] data = new byte[in.readInt()];
    in.readFully(data);
    return new OptionReply(option, type, data);
  }

  /** Replies until the final one (NBD_REP_ACK or an error), which is the last in the list. */
  List<OptionReply> readOptionReplies() throws IOException {
    List<OptionReply> replies = new ArrayList<>();
    while (true) {
      OptionReply reply = readOptionReply();
      replies.add(reply);
      if (reply.type() == NBD_REP_ACK || reply.isError()) {
        return replies;
      }
    }
  }

  /** Sends an option and returns all its replies. */
  List<OptionReply> option(int option, byte[] data) throws IOException {
    sendOption(option, data);
    return readOptionReplies();
  }

  /** The data of NBD_OPT_INFO and NBD_OPT_GO: name, then information requests. */
  static byte[] infoRequest(String exportName, int... informationTypes) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream data = new DataOutputStream(bytes);
    try {
      byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
      data.writeInt(name.length);
      data.write(name);
      data.writeShort(informationTypes.length);
      for (int type : informationTypes) {
        data.writeShort(type);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The data of NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT. */
  static byte[] metaContextRequest(String exportName, String... queries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream data = new DataOutputStream(bytes);
    try {
      byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
      data.writeInt(name.length);
      data.write(name);
      data.writeInt(queries.length);
      for (String query : queries) {
        byte[] text = query.getBytes(StandardCharsets.UTF_8);
        data.writeInt(text.length);
        data.write(text);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A compact request (28 bytes) and, for a write, its payload. */
  void sendCompactRequest(int flags, int type, long cookie, long offset, int length, byte[] payload)
      throws IOException {
    out.writeInt(NBD_REQUEST_MAGIC);
    out.writeShort(flags);
    out.writeShort(type);
    out.writeLong(cookie);
    out.writeLong(offset);
    out.writeInt(length);
    if (payload != null) {
      out.write(payload);
    }
    out.flush();
  }

  /** An extended request (32 bytes), then {@code payload} if not null. */
  void sendExtendedRequest(
      int flags, int type, long cookie, long offset, long length, byte[] payload)
      throws IOException {
    out.writeInt(NBD_EXTENDED_REQUEST_MAGIC);
    out.writeShort(flags);
    out.writeShort(type);
    out.writeLong(cookie);
    out.writeLong(offset);
    out.writeLong(length);
    if (payload != null) {
      out.write(payload);
    }
    out.flush();
  }

  /** Raw bytes, for requests no well-behaved client would send. */
  void sendBytes(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** One extended reply chunk ("Extended reply chunk message"). */
  record ExtendedChunk(int flags, int type, long cookie, long offset, byte[] payload) {
    boolean done() {
      return (flags & NBD_REPLY_FLAG_DONE) != 0;
    }
  }

  ExtendedChunk readExtendedChunk() throws IOException {
    int magic = in.readInt();
    assertThat(magic)
        .as("extended reply magic 0x%08x", NBD_EXTENDED_REPLY_MAGIC)
        .isEqualTo(NBD_EXTENDED_REPLY_MAGIC);
    int flags = in.readUnsignedShort();
    int type = in.readUnsignedShort();
    long cookie = in.readLong();
    long offset = in.readLong();
    long length = in.readLong();
    assertThat(length).as("chunk payload length").isBetween(0L, (long) (64 << 20));
    byte[] payload = new byte[(int) length];
    in.readFully(payload);
    return new ExtendedChunk(flags, type, cookie, offset, payload);
  }

  /** All chunks of one reply, up to and including the one flagged DONE. */
  List<ExtendedChunk> readExtendedReply() throws IOException {
    List<ExtendedChunk> chunks = new ArrayList<>();
    while (true) {
      ExtendedChunk chunk = readExtendedChunk();
      chunks.add(chunk);
      if (chunk.done()) {
        return chunks;
      }
    }
  }

  /**
   * A simple reply (16 bytes, then {@code dataBytes} if the error is 0) or a structured chunk (20
   * bytes and its payload), told apart by their magic.
   */
  record CompactReply(boolean simple, int error, int flags, int type, long cookie, byte[] payload) {
    boolean done() {
      return simple || (flags & NBD_REPLY_FLAG_DONE) != 0;
    }
  }

  CompactReply readCompactReply(int dataBytesIfSimpleRead) throws IOException {
    int magic = in.readInt();
    if (magic == NBD_SIMPLE_REPLY_MAGIC) {
      int error = in.readInt();
      long cookie = in.readLong();
      byte[] data = new byte[error == 0 ? dataBytesIfSimpleRead : 0];
      in.readFully(data);
      return new CompactReply(true, error, 0, 0, cookie, data);
    }
    assertThat(magic).as("structured reply magic").isEqualTo(NBD_STRUCTURED_REPLY_MAGIC);
    int flags = in.readUnsignedShort();
    int type = in.readUnsignedShort();
    long cookie = in.readLong();
    byte[] payload = new byte[in.readInt()];
    in.readFully(payload);
    return new CompactReply(false, 0, flags, type, cookie, payload);
  }

  /** True when the server closed the connection (EOF or reset) within the read timeout. */
  boolean closedByServer() throws IOException {
    try {
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (EOFException | SocketException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
