package io.unblend.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The FFM downcalls into libc, and nothing else. Each method returns what the C function returns;
 * after a failed call (-1) {@link #errno()} gives the errno of that call on this thread, captured
 * by the linker so that no JVM activity in between can overwrite it.
 */
public final class Syscalls {
  /** x86_64 syscall numbers; io_uring has no libc wrapper in Debian 12's glibc. */
  public static final long SYS_IO_URING_SETUP = 425;

  public static final long SYS_IO_URING_ENTER = 426;
  public static final long SYS_IO_URING_REGISTER = 427;

  public static final int O_RDONLY = 0;
  public static final int O_RDWR = 02;
  public static final int O_CREAT = 0100;
  public static final int O_DSYNC = 010000;
  public static final int O_DIRECT = 040000;
  public static final int O_CLOEXEC = 02000000;

  public static final int PROT_READ = 0x1;
  public static final int PROT_WRITE = 0x2;
  public static final int MAP_SHARED = 0x01;
  public static final int MAP_POPULATE = 0x08000;

  public static final int AT_EMPTY_PATH = 0x1000;

  /** posix_fadvise: the file is read at random offsets; no readahead. */
  public static final int POSIX_FADV_RANDOM = 1;

  /** posix_fadvise: drop the range's clean pages from the page cache. */
  public static final int POSIX_FADV_DONTNEED = 4;

  public static final int EFD_CLOEXEC = 02000000;

  /** ioctl requests of linux/fs.h: _IOR(0x12, 114, size_t) and _IO(0x12, 104). */
  public static final long BLKGETSIZE64 = 0x80081272L;

  public static final long BLKSSZGET = 0x1268L;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();
  private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

  /** One capture buffer per thread, allocated once, so no call allocates. */
  private static final ThreadLocal<MemorySegment> CAPTURED =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

  private static final MethodHandle OPEN =
      downcall(
          "open",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
          Linker.Option.firstVariadicArg(2));
  private static final MethodHandle CLOSE =
      downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle PREAD =
      downcall("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
  private static final MethodHandle PWRITE =
      downcall("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
  private static final MethodHandle FDATASYNC =
      downcall("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle FALLOCATE =
      downcall(
          "fallocate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
  private static final MethodHandle POSIX_FADVISE =
      downcall(
          "posix_fadvise",
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
  private static final MethodHandle IOCTL =
      downcall(
          "ioctl",
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
          Linker.Option.firstVariadicArg(2));
  private static final MethodHandle STATX =
      downcall(
          "statx", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
  private static final MethodHandle EVENTFD =
      downcall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle WRITE =
      downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle MMAP =
      downcall(
          "mmap",
          FunctionDescriptor.of(
              ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
  private static final MethodHandle MUNMAP =
      downcall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle SYSCALL_2 = syscall(2);
  private static final MethodHandle SYSCALL_4 = syscall(4);
  private static final MethodHandle SYSCALL_6 = syscall(6);

  private Syscalls() {}

  /** The errno of the last failed call made through this class on this thread. */
  public static int errno() {
    return (int) ERRNO.get(CAPTURED.get(), 0L);
  }

  public static int open(MemorySegment path, int flags, int mode) {
    try {
      return (int) OPEN.invokeExact(CAPTURED.get(), path, flags, mode);
    } catch (Throwable t) {
      throw linkageFailure("open", t);
    }
  }

  public static int close(int fd) {
    try {
      return (int) CLOSE.invokeExact(CAPTURED.get(), fd);
    } catch (Throwable t) {
      throw linkageFailure("close", t);
    }
  }

  public static long pread(int fd, MemorySegment buffer, long count, long offset) {
    try {
      return (long) PREAD.invokeExact(CAPTURED.get(), fd, buffer, count, offset);
    } catch (Throwable t) {
      throw linkageFailure("pread", t);
    }
  }

  public static long pwrite(int fd, MemorySegment buffer, long count, long offset) {
    try {
      return (long) PWRITE.invokeExact(CAPTURED.get(), fd, buffer, count, offset);
    } catch (Throwable t) {
      throw linkageFailure("pwrite", t);
    }
  }

  public static int fdatasync(int fd) {
    try {
      return (int) FDATASYNC.invokeExact(CAPTURED.get(), fd);
    } catch (Throwable t) {
      throw linkageFailure("fdatasync", t);
    }
  }

  public static int fallocate(int fd, int mode, long offset, long length) {
    try {
      return (int) FALLOCATE.invokeExact(CAPTURED.get(), fd, mode, offset, length);
    } catch (Throwable t) {
      throw linkageFailure("fallocate", t);
    }
  }

  /** Returns 0, or the error number itself: posix_fadvise does not set errno. */
  public static int posixFadvise(int fd, long offset, long length, int advice) {
    try {
      return (int) POSIX_FADVISE.invokeExact(CAPTURED.get(), fd, offset, length, advice);
    } catch (Throwable t) {
      throw linkageFailure("posix_fadvise", t);
    }
  }

  public static int ioctl(int fd, long request, MemorySegment argument) {
    try {
      return (int) IOCTL.invokeExact(CAPTURED.get(), fd, request, argument);
    } catch (Throwable t) {
      throw linkageFailure("ioctl", t);
    }
  }

  public static int statx(
      int dirFd, MemorySegment path, int flags, int mask, MemorySegment statxBuffer) {
    try {
      return (int) STATX.invokeExact(CAPTURED.get(), dirFd, path, flags, mask, statxBuffer);
    } catch (Throwable t) {
      throw linkageFailure("statx", t);
    }
  }

  public static int eventfd(int initialValue, int flags) {
    try {
      return (int) EVENTFD.invokeExact(CAPTURED.get(), initialValue, flags);
    } catch (Throwable t) {
      throw linkageFailure("eventfd", t);
    }
  }

  public static long write(int fd, MemorySegment buffer, long count) {
    try {
      return (long) WRITE.invokeExact(CAPTURED.get(), fd, buffer, count);
    } catch (Throwable t) {
      throw linkageFailure("write", t);
    }
  }

  /** Returns the mapped address, or the segment at address -1 (MAP_FAILED). */
  public static MemorySegment mmap(
      MemorySegment address, long length, int protection, int flags, int fd, long offset) {
    try {
      return (MemorySegment)
          MMAP.invokeExact(CAPTURED.get(), address, length, protection, flags, fd, offset);
    } catch (Throwable t) {
      throw linkageFailure("mmap", t);
    }
  }

  public static int munmap(MemorySegment address, long length) {
    try {
      return (int) MUNMAP.invokeExact(CAPTURED.get(), address, length);
    } catch (Throwable t) {
      throw linkageFailure("munmap", t);
    }
  }

  /** syscall(2) with two arguments, each passed as a long as the variadic ABI wants. */
  public static long syscall(long number, long a, long b) {
    try {
      return (long) SYSCALL_2.invokeExact(CAPTURED.get(), number, a, b);
    } catch (Throwable t) {
      throw linkageFailure("syscall", t);
    }
  }

  public static long syscall(long number, long a, long b, long c, long d) {
    try {
      return (long) SYSCALL_4.invokeExact(CAPTURED.get(), number, a, b, c, d);
    } catch (Throwable t) {
      throw linkageFailure("syscall", t);
    }
  }

  public static long syscall(long number, long a, long b, long c, long d, long e, long f) {
    try {
      return (long) SYSCALL_6.invokeExact(CAPTURED.get(), number, a, b, c, d, e, f);
    } catch (Throwable t) {
      throw linkageFailure("syscall", t);
    }
  }

  private static MethodHandle syscall(int arguments) {
    // syscall(long number, ...): the number and every argument travel as longs.
    MemoryLayout[] parameters = new MemoryLayout[arguments + 1];
    Arrays.fill(parameters, JAVA_LONG);
    return downcall(
        "syscall", FunctionDescriptor.of(JAVA_LONG, parameters), Linker.Option.firstVariadicArg(1));
  }

  @SuppressWarnings("restricted") // The one place that links native functions.
  private static MethodHandle downcall(
      String name, FunctionDescriptor descriptor, Linker.Option... options) {
    Linker.Option[] all = Arrays.copyOf(options, options.length + 1);
    all[options.length] = CAPTURE_ERRNO;
    MemorySegment symbol =
        LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    return LINKER.downcallHandle(symbol, descriptor, all);
  }

  private static IllegalStateException linkageFailure(String function, Throwable cause) {
    if (cause instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (cause instanceof Error error) {
      throw error;
    }
    return new IllegalStateException("native call " + function + " failed to link", cause);
  }
}
