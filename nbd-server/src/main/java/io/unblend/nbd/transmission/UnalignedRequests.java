package io.unblend.nbd.transmission;

import io.unblend.logstore.Volume;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Byte-granular requests for clients that did not agree to the 512-byte minimum block size
 * (doc/proto.md "Block size constraints": without negotiation a server SHOULD support a minimum
 * block size of 1). Reads read the surrounding sectors; writes and write zeroes are read-modify-
 * writes of them, made by {@link VolumeChanges#readModifyWrite}.
 */
final class UnalignedRequests {
  static final int SECTOR_BYTES = 512;

  private UnalignedRequests() {}

  static boolean aligned(long offset, long length) {
    return offset % SECTOR_BYTES == 0 && length % SECTOR_BYTES == 0;
  }

  static long alignDown(long bytes) {
    return bytes / SECTOR_BYTES * SECTOR_BYTES;
  }

  static long alignUp(long bytes) {
    return (bytes + SECTOR_BYTES - 1) / SECTOR_BYTES * SECTOR_BYTES;
  }

  /** Reads {@code into.byteSize()} bytes at any offset. */
  static CompletableFuture<Void> read(Volume volume, long offset, MemorySegment into) {
    long start = alignDown(offset);
    long end = alignUp(offset + into.byteSize());
    MemorySegment sectors = MemorySegment.ofBuffer(ByteBuffer.allocateDirect((int) (end - start)));
    return volume
        .read(start, sectors)
        .thenRun(() -> MemorySegment.copy(sectors, offset - start, into, 0, into.byteSize()));
  }
}
