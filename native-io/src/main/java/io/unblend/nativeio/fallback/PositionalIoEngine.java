package io.unblend.nativeio.fallback;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.OperationQueue;
import io.unblend.nativeio.SynchronousIoEngine;
import io.unblend.nativeio.Syscalls;
import io.unblend.nativeio.file.OnPosixFiles;

/**
 * The fallback for hosts that refuse io_uring (io_uring_disabled, seccomp filters such as Docker's
 * default profile): each submitted operation becomes one blocking pread(2), pwrite(2), fdatasync(2)
 * or fallocate(2) on the submitting thread (a durable write is a pwrite and an fdatasync). Same
 * contract, no kernel queue.
 */
public final class PositionalIoEngine extends SynchronousIoEngine implements OnPosixFiles {
  public PositionalIoEngine(int queueDepth) {
    super(queueDepth);
  }

  @Override
  public String name() {
    return "pread/pwrite";
  }

  @Override
  protected int run(OperationQueue queue, int slot) {
    while (true) {
      long result = runOnce(queue, slot);
      if (result >= 0) {
        return (int) result;
      }
      int errno = Syscalls.errno();
      if (errno != Errno.EINTR.number()) {
        return -errno;
      }
    }
  }

  private static long runOnce(OperationQueue queue, int slot) {
    IoFile file = queue.file(slot);
    return switch (queue.operation(slot)) {
      case READ, READ_FIXED ->
          Syscalls.pread(
              file.handle(), queue.buffer(slot), queue.lengthBytes(slot), queue.offsetBytes(slot));
      case WRITE, WRITE_FIXED ->
          Syscalls.pwrite(
              file.handle(), queue.buffer(slot), queue.lengthBytes(slot), queue.offsetBytes(slot));
      case DURABLE_WRITE -> {
        long written =
            Syscalls.pwrite(
                file.handle(),
                queue.buffer(slot),
                queue.lengthBytes(slot),
                queue.offsetBytes(slot));
        yield written < 0 ? written : durable(written, Syscalls.fdatasync(file.handle()));
      }
      case DATASYNC -> Syscalls.fdatasync(file.handle());
      case FALLOCATE ->
          Syscalls.fallocate(
              file.handle(), queue.mode(slot), queue.offsetBytes(slot), queue.lengthBytes(slot));
      case NOP -> 0;
    };
  }

  /** A durable write's result: its byte count once the datasync after it succeeded. */
  private static long durable(long written, long synced) {
    return synced < 0 ? synced : written;
  }
}
