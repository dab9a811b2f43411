package io.unblend.nativeio;

import java.lang.foreign.MemorySegment;

/**
 * The checks every engine makes before an operation reaches a syscall, in one place so that all
 * engines refuse the same requests with the same messages.
 */
public final class RequestChecks {
  private RequestChecks() {}

  /** Checks a read or write of {@code buffer} at {@code offsetBytes}. */
  public static void checkTransfer(
      String operation, IoFile file, long offsetBytes, MemorySegment buffer, boolean isWrite)
      throws NativeIoException {
    long lengthBytes = buffer.byteSize();
    file.checkOpen(operation, offsetBytes, lengthBytes);
    if (isWrite && !file.isWritable()) {
      throw refused(
          Errno.EBADF, operation, file, offsetBytes, lengthBytes, "the file is open read-only");
    }
    if (!buffer.isNative()) {
      throw refused(
          Errno.EFAULT,
          operation,
          file,
          offsetBytes,
          lengthBytes,
          "the buffer is on the Java heap; native I/O needs native memory");
    }
    if (offsetBytes < 0) {
      throw refused(Errno.EINVAL, operation, file, offsetBytes, lengthBytes, "negative offset");
    }
    if (lengthBytes > IoEngine.MAX_TRANSFER_BYTES) {
      throw refused(
          Errno.EINVAL,
          operation,
          file,
          offsetBytes,
          lengthBytes,
          "one operation carries at most " + IoEngine.MAX_TRANSFER_BYTES + " bytes");
    }
    if (file.isDirect()) {
      checkDirectAlignment(operation, file, offsetBytes, lengthBytes, buffer.address());
    }
  }

  /** Checks the range of a fallocate. */
  public static void checkRange(String operation, IoFile file, long offsetBytes, long lengthBytes)
      throws NativeIoException {
    file.checkOpen(operation, offsetBytes, lengthBytes);
    if (!file.isWritable()) {
      throw refused(
          Errno.EBADF, operation, file, offsetBytes, lengthBytes, "the file is open read-only");
    }
    if (offsetBytes < 0 || lengthBytes <= 0) {
      throw refused(
          Errno.EINVAL,
          operation,
          file,
          offsetBytes,
          lengthBytes,
          "the offset must be at least 0 and the length more than 0");
    }
  }

  /** Checks that {@code region} may be registered as a fixed buffer. */
  public static void checkRegistrable(MemorySegment region) {
    if (!region.isNative() || region.byteSize() == 0) {
      throw new IllegalArgumentException(
          "a registered buffer must be non-empty native memory: " + region);
    }
  }

  /** Checks that {@code buffer} lies inside {@code regions[bufferIndex]}. */
  public static void checkInsideRegion(
      MemorySegment[] regions, int bufferIndex, MemorySegment buffer) {
    if (bufferIndex < 0 || bufferIndex >= regions.length) {
      throw new IllegalArgumentException(
          "no registered buffer "
              + bufferIndex
              + " ("
              + regions.length
              + " registered); call registerBuffers first");
    }
    MemorySegment region = regions[bufferIndex];
    long start = buffer.address();
    long end = start + buffer.byteSize();
    if (start < region.address() || end > region.address() + region.byteSize()) {
      throw new IllegalArgumentException(
          "buffer at 0x"
              + Long.toHexString(start)
              + " of "
              + buffer.byteSize()
              + " bytes lies outside registered buffer "
              + bufferIndex);
    }
  }

  private static void checkDirectAlignment(
      String operation, IoFile file, long offsetBytes, long lengthBytes, long address)
      throws NativeIoException {
    int block = file.blockSizeBytes();
    String misaligned = null;
    if (offsetBytes % block != 0) {
      misaligned = "offset " + offsetBytes;
    } else if (lengthBytes % block != 0 || lengthBytes == 0) {
      misaligned = "length " + lengthBytes;
    } else if (address % block != 0) {
      misaligned = "buffer address 0x" + Long.toHexString(address);
    }
    if (misaligned != null) {
      throw refused(
          Errno.EINVAL,
          operation,
          file,
          offsetBytes,
          lengthBytes,
          "misaligned O_DIRECT request: "
              + misaligned
              + " is not a non-zero multiple of the "
              + block
              + "-byte block size");
    }
  }

  private static NativeIoException refused(
      Errno errno,
      String operation,
      IoFile file,
      long offsetBytes,
      long lengthBytes,
      String detail) {
    return new NativeIoException(
        errno.number(), operation, file.path(), offsetBytes, lengthBytes, detail);
  }
}
