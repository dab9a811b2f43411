package io.unblend.nbd.admin;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A command's stdout or stderr on the server: what it writes is sent to the client as frames of one
 * type, on every flush (a PrintWriter with autoflush flushes at every line).
 */
final class FrameOutputStream extends OutputStream {
  private final DataOutputStream socket;
  private final int type;
  private final byte[] buffer = new byte[64 << 10];
  private int buffered;

  /** {@code socket} is shared by both streams of a command; writes to it lock it. */
  FrameOutputStream(DataOutputStream socket, int type) {
    this.socket = socket;
    this.type = type;
  }

  @Override
  public void write(int b) throws IOException {
    if (buffered == buffer.length) {
      flush();
    }
    buffer[buffered++] = (byte) b;
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    for (int i = 0; i < length; i++) {
      write(bytes[offset + i]);
    }
  }

  @Override
  public void flush() throws IOException {
    if (buffered == 0) {
      return;
    }
    synchronized (socket) {
      AdminProtocol.writeFrame(socket, type, buffer, 0, buffered);
    }
    buffered = 0;
  }
}
