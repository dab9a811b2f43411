package io.unblend.nbd.admin;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The admin socket's messages, big-endian: the client sends its command line once, the server
 * answers with frames until the exit frame.
 *
 * <pre>
 * request:  u32 ADMIN_MAGIC ("UBAD"), u16 VERSION, u16 argument count,
 *           then per argument: u32 length, UTF-8 bytes
 * frame:    u8 type (FRAME_STDOUT, FRAME_STDERR, FRAME_EXIT), u32 length, data
 *           (FRAME_EXIT carries a u32 exit code and is the last frame)
 * </pre>
 */
public final class AdminProtocol {
  private AdminProtocol() {}

  public static final int ADMIN_MAGIC = 0x55424144;
  public static final int VERSION = 1;
  public static final int FRAME_STDOUT = 1;
  public static final int FRAME_STDERR = 2;
  public static final int FRAME_EXIT = 3;

  /** The most arguments, and bytes in all arguments, one request may carry. */
  public static final int ARGUMENTS_MAX = 1024;

  public static final int ARGUMENT_BYTES_MAX = 64 << 10;

  /** The largest frame accepted; output is sent in frames of at most this much. */
  public static final int FRAME_BYTES_MAX = 1 << 20;

  static void writeRequest(DataOutputStream out, List<String> arguments) throws IOException {
    out.writeInt(ADMIN_MAGIC);
    out.writeShort(VERSION);
    out.writeShort(arguments.size());
    for (String argument : arguments) {
      byte[] bytes = argument.getBytes(StandardCharsets.UTF_8);
      out.writeInt(bytes.length);
      out.write(bytes);
    }
    out.flush();
  }

  /** Reads a request; fails with a message for the log when it breaks the layout or a limit. */
  static List<String> readRequest(DataInputStream in) throws IOException {
    int magic = in.readInt();
    int version = in.readUnsignedShort();
    int count = in.readUnsignedShort();
    if (magic != ADMIN_MAGIC || version != VERSION) {
      throw new IOException(
          "not an admin request of version "
              + VERSION
              + " (magic 0x"
              + Integer.toHexString(magic)
              + ", version "
              + version
              + ")");
    }
    if (count > ARGUMENTS_MAX) {
      throw new IOException(count + " arguments, more than " + ARGUMENTS_MAX);
    }
    List<String> arguments = new ArrayList<>(count);
    long total = 0;
    for (int i = 0; i < count; i++) {
      long length = in.readInt() & 0xffffffffL;
      total += length;
      if (total > ARGUMENT_BYTES_MAX) {
        throw new IOException("arguments longer than " + ARGUMENT_BYTES_MAX + " bytes");
      }
      byte[] bytes = new byte[(int) length];
      in.readFully(bytes);
      arguments.add(new String(bytes, StandardCharsets.UTF_8));
    }
    return arguments;
  }

  static void writeFrame(DataOutputStream out, int type, byte[] data, int offset, int length)
      throws IOException {
    out.writeByte(type);
    out.writeInt(length);
    out.write(data, offset, length);
    out.flush();
  }

  static void writeExit(DataOutputStream out, int exitCode) throws IOException {
    out.writeByte(FRAME_EXIT);
    out.writeInt(Integer.BYTES);
    out.writeInt(exitCode);
    out.flush();
  }
}
