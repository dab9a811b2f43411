package io.unblend.nativeio.file;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.OpenFlag;
import io.unblend.nativeio.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opening, sizing and closing real files and block devices, shared by the native engines: open(2)
 * with O_DIRECT/O_DSYNC, statx(2) for the type, size and O_DIRECT alignment of a file, and the
 * BLKGETSIZE64/BLKSSZGET ioctls for a block device.
 */
public final class PosixFiles {
  /** The alignment assumed when the kernel does not report one (statx without DIOALIGN). */
  public static final int DEFAULT_BLOCK_SIZE_BYTES = 4096;

  private static final int MINIMUM_BLOCK_SIZE_BYTES = 512;

  private PosixFiles() {}

  public static IoFile open(Path path, Set<OpenFlag> flags) throws NativeIoException {
    int openFlags = Syscalls.O_CLOEXEC;
    openFlags |= flags.contains(OpenFlag.WRITE) ? Syscalls.O_RDWR : Syscalls.O_RDONLY;
    if (flags.contains(OpenFlag.CREATE)) {
      openFlags |= Syscalls.O_CREAT;
    }
    if (flags.contains(OpenFlag.DIRECT)) {
      openFlags |= Syscalls.O_DIRECT;
    }
    if (flags.contains(OpenFlag.DSYNC)) {
      openFlags |= Syscalls.O_DSYNC;
    }
    int fd;
    try (Arena arena = Arena.ofConfined()) {
      fd = Syscalls.open(arena.allocateFrom(path.toString()), openFlags, 0644);
      if (fd < 0) {
        int errno = Syscalls.errno();
        String detail =
            errno == Errno.EINVAL.number() && flags.contains(OpenFlag.DIRECT)
                ? "the file system may not support O_DIRECT (tmpfs before Linux 6.6 does not)"
                : null;
        throw new NativeIoException(
            errno, "open", path, NativeIoException.NONE, NativeIoException.NONE, detail);
      }
    }
    try {
      if (flags.contains(OpenFlag.RANDOM_READS)) {
        int error = Syscalls.posixFadvise(fd, 0, 0, Syscalls.POSIX_FADV_RANDOM);
        if (error != 0) {
          throw NativeIoException.of(
              error, "posix_fadvise RANDOM", path, NativeIoException.NONE, NativeIoException.NONE);
        }
      }
      return new IoFile(
          path,
          fd,
          flags,
          blockSizeBytes(path, fd, flags.contains(OpenFlag.DIRECT)),
          PosixFiles::close);
    } catch (NativeIoException | RuntimeException e) {
      Syscalls.close(fd);
      throw e;
    }
  }

  /** POSIX_FADV_DONTNEED over a range: see {@link io.unblend.nativeio.IoEngine#dropCachedPages}. */
  public static void dropCachedPages(IoFile file, long offsetBytes, long lengthBytes) {
    if (!file.isClosed()) {
      Syscalls.posixFadvise(file.handle(), offsetBytes, lengthBytes, Syscalls.POSIX_FADV_DONTNEED);
    }
  }

  /** The size of a regular file, or BLKGETSIZE64 for a block device. */
  public static long sizeBytes(IoFile file) throws NativeIoException {
    file.checkOpen("size", NativeIoException.NONE, NativeIoException.NONE);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment statx = statx(arena, file.path(), file.handle());
      if (!StatxLayout.isBlockDevice(statx)) {
        return StatxLayout.sizeBytes(statx);
      }
      MemorySegment size = arena.allocate(JAVA_LONG);
      ioctl(file.path(), file.handle(), Syscalls.BLKGETSIZE64, size, "ioctl BLKGETSIZE64");
      return size.get(JAVA_LONG, 0);
    }
  }

  private static int blockSizeBytes(Path path, int fd, boolean direct) throws NativeIoException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment statx = statx(arena, path, fd);
      if (StatxLayout.isBlockDevice(statx)) {
        MemorySegment sectorSize = arena.allocate(JAVA_INT);
        ioctl(path, fd, Syscalls.BLKSSZGET, sectorSize, "ioctl BLKSSZGET");
        return Math.max(MINIMUM_BLOCK_SIZE_BYTES, sectorSize.get(JAVA_INT, 0));
      }
      if (!StatxLayout.isRegularFile(statx) && direct) {
        throw new NativeIoException(
            Errno.EINVAL.number(),
            "open",
            path,
            NativeIoException.NONE,
            NativeIoException.NONE,
            "O_DIRECT needs a regular file or a block device");
      }
      int alignment = StatxLayout.directOffsetAlignment(statx);
      return alignment == 0
          ? DEFAULT_BLOCK_SIZE_BYTES
          : Math.max(MINIMUM_BLOCK_SIZE_BYTES, alignment);
    }
  }

  private static MemorySegment statx(Arena arena, Path path, int fd) throws NativeIoException {
    MemorySegment statx = arena.allocate(StatxLayout.SIZE_BYTES, 8);
    int mask = StatxLayout.STATX_TYPE | StatxLayout.STATX_SIZE | StatxLayout.STATX_DIOALIGN;
    if (Syscalls.statx(fd, arena.allocateFrom(""), Syscalls.AT_EMPTY_PATH, mask, statx) != 0) {
      throw NativeIoException.of(
          Syscalls.errno(), "statx", path, NativeIoException.NONE, NativeIoException.NONE);
    }
    return statx;
  }

  private static void ioctl(
      Path path, int fd, long request, MemorySegment argument, String operation)
      throws NativeIoException {
    if (Syscalls.ioctl(fd, request, argument) != 0) {
      throw NativeIoException.of(
          Syscalls.errno(), operation, path, NativeIoException.NONE, NativeIoException.NONE);
    }
  }

  private static void close(IoFile file) throws NativeIoException {
    if (Syscalls.close(file.handle()) != 0) {
      throw NativeIoException.of(
          Syscalls.errno(), "close", file.path(), NativeIoException.NONE, NativeIoException.NONE);
    }
  }
}
