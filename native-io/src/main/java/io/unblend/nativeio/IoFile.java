package io.unblend.nativeio;

import java.nio.file.Path;
import java.util.Set;

/**
 * An open file or block device of one {@link IoEngine}. It knows its path (for error messages), its
 * engine-specific handle (a file descriptor for the native engines) and the alignment that O_DIRECT
 * asks of it.
 */
public final class IoFile implements AutoCloseable {
  /** Closes the handle of an {@link IoFile} in the engine that opened it. */
  @FunctionalInterface
  public interface Closer {
    void close(IoFile file) throws NativeIoException;
  }

  private final Path path;
  private final int handle;
  private final Set<OpenFlag> flags;
  private final int blockSizeBytes;
  private final Closer closer;
  private volatile boolean closed;

  public IoFile(Path path, int handle, Set<OpenFlag> flags, int blockSizeBytes, Closer closer) {
    if (Integer.bitCount(blockSizeBytes) != 1) {
      throw new IllegalArgumentException("block size must be a power of two: " + blockSizeBytes);
    }
    this.path = path;
    this.handle = handle;
    this.flags = Set.copyOf(flags);
    this.blockSizeBytes = blockSizeBytes;
    this.closer = closer;
  }

  public Path path() {
    return path;
  }

  /** The file descriptor (native engines) or the simulated file's number. */
  public int handle() {
    return handle;
  }

  public boolean isDirect() {
    return flags.contains(OpenFlag.DIRECT);
  }

  /** O_DSYNC: every write is durable when it completes. */
  public boolean isDsync() {
    return flags.contains(OpenFlag.DSYNC);
  }

  public boolean isWritable() {
    return flags.contains(OpenFlag.WRITE);
  }

  /**
   * The logical block size: with O_DIRECT every offset, length and buffer address must be a
   * multiple of it.
   */
  public int blockSizeBytes() {
    return blockSizeBytes;
  }

  public boolean isClosed() {
    return closed;
  }

  /**
   * Fails with EBADF when the file was closed: a closed descriptor number may already belong to
   * another file, so it must never reach the kernel.
   */
  public void checkOpen(String operation, long offsetBytes, long lengthBytes)
      throws NativeIoException {
    if (closed) {
      throw new NativeIoException(
          Errno.EBADF.number(), operation, path, offsetBytes, lengthBytes, "the file is closed");
    }
  }

  @Override
  public void close() throws NativeIoException {
    if (!closed) {
      closed = true;
      closer.close(this);
    }
  }

  @Override
  public String toString() {
    return path + (closed ? " (closed)" : "");
  }
}
