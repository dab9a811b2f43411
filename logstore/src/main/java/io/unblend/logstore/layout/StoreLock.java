package io.unblend.logstore.layout;

import io.unblend.logstore.StoreException;
import io.unblend.nativeio.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps a second process (or a second open in this one) away from a store: an fcntl lock on {@code
 * store.lock} in the data directory, which also names the holder's pid, or on the device node
 * itself. The kernel drops the lock when the process dies, so a crash never leaves it behind.
 */
public final class StoreLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private StoreLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Locks the data directory {@code directory}; the error names the holder's pid. */
  public static StoreLock directory(Path directory) throws IOException {
    Path lockFile = directory.resolve("store.lock");
    FileChannel channel =
        FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = tryLock(channel);
    if (lock == null) {
      channel.close();
      String holder = Files.readString(lockFile, StandardCharsets.US_ASCII).trim();
      throw new StoreException(
          Errno.EBUSY,
          "the store in "
              + directory
              + " is in use by process "
              + (holder.isEmpty() ? "(unknown)" : holder)
              + " (lock file "
              + lockFile
              + "); stop that process first");
    }
    channel.truncate(0);
    channel.write(
        ByteBuffer.wrap(
            (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
    channel.force(false);
    return new StoreLock(channel, lock);
  }

  /** Locks a block device node. */
  public static StoreLock device(Path device) throws IOException {
    FileChannel channel =
        FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock = tryLock(channel);
    if (lock == null) {
      channel.close();
      throw new StoreException(
          Errno.EBUSY,
          "the store on "
              + device
              + " is in use by another process (see /proc/locks); stop it first");
    }
    return new StoreLock(channel, lock);
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException heldByThisProcess) {
      return null;
    }
  }

  @Override
  public void close() throws IOException {
    lock.release();
    channel.close();
  }
}
