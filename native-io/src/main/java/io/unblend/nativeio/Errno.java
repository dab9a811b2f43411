package io.unblend.nativeio;

/**
 * Linux errno values that native I/O reports, with their symbolic names. Numbers are those of
 * x86_64 and aarch64 Linux (asm-generic/errno-base.h and errno.h).
 */
public enum Errno {
  EPERM(1, "operation not permitted"),
  ENOENT(2, "no such file or directory"),
  EINTR(4, "interrupted system call"),
  EIO(5, "input/output error"),
  ENXIO(6, "no such device or address"),
  EBADF(9, "bad file descriptor"),
  EAGAIN(11, "resource temporarily unavailable"),
  ENOMEM(12, "cannot allocate memory"),
  EACCES(13, "permission denied"),
  EFAULT(14, "bad address"),
  EBUSY(16, "device or resource busy"),
  EEXIST(17, "file exists"),
  ENODEV(19, "no such device"),
  ENOTDIR(20, "not a directory"),
  EISDIR(21, "is a directory"),
  EINVAL(22, "invalid argument"),
  EMFILE(24, "too many open files"),
  ENOTTY(25, "inappropriate ioctl for device"),
  EFBIG(27, "file too large"),
  ENOSPC(28, "no space left on device"),
  ESPIPE(29, "illegal seek"),
  EROFS(30, "read-only file system"),
  ENOSYS(38, "function not implemented"),
  ETIME(62, "timer expired"),
  EOVERFLOW(75, "value too large for defined data type"),
  EOPNOTSUPP(95, "operation not supported"),
  EDQUOT(122, "disk quota exceeded"),
  ECANCELED(125, "operation canceled");

  private static final Errno[] BY_NUMBER = new Errno[126];

  static {
    for (Errno errno : values()) {
      BY_NUMBER[errno.number] = errno;
    }
  }

  private final int number;
  private final String description;

  Errno(int number, String description) {
    this.number = number;
    this.description = description;
  }

  /** The positive errno number. */
  public int number() {
    return number;
  }

  public String description() {
    return description;
  }

  /** The errno for a positive number, or {@code null} when this table does not name it. */
  public static Errno of(int number) {
    return number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
  }

  /** "ENOSPC" for 28, "errno 200" for a number this table does not name. */
  public static String nameOf(int number) {
    Errno errno = of(number);
    return errno == null ? "errno " + number : errno.name();
  }

  /** "no space left on device" for 28, "unknown error" for a number this table does not name. */
  public static String describe(int number) {
    Errno errno = of(number);
    return errno == null ? "unknown error" : errno.description;
  }
}
