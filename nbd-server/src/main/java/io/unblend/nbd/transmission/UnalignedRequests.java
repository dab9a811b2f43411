package io.unblend.nbd.transmission;

import io.unblend.logstore.Volume;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * Byte-granular reads and writes for clients that did not agree to the 512-byte minimum block size
 * (doc/proto.md "Block size constraints": without negotiation a server SHOULD support a minimum
 * block size of 1). Reads read the surrounding sectors; writes read, patch and write them back, one
 * at a time per volume, so that two partial writes to different bytes of one sector never undo each
 * other. Shared by every connection.
 */
public final class UnalignedRequests {
  static final int SECTOR_BYTES = 512;

  private static final Executor ASYNC = ForkJoinPool.commonPool();

  private final Map<Volume, CompletableFuture<Void>> writeTails = new ConcurrentHashMap<>();

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
  CompletableFuture<Void> read(Volume volume, long offset, MemorySegment into) {
    long start = alignDown(offset);
    long end = alignUp(offset + into.byteSize());
    MemorySegment sectors = MemorySegment.ofBuffer(ByteBuffer.allocateDirect((int) (end - start)));
    return volume
        .read(start, sectors)
        .thenRun(() -> MemorySegment.copy(sectors, offset - start, into, 0, into.byteSize()));
  }

  /** Writes {@code data} (null: zeros of {@code length}) at any offset, after earlier ones. */
  CompletableFuture<Void> write(
      Volume volume, long offset, long length, MemorySegment data, boolean fua) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    writeTails.compute(
        volume,
        (key, tail) -> {
          CompletableFuture<Void> previous =
              tail == null ? CompletableFuture.completedFuture(null) : tail;
          CompletableFuture<Void> mine =
              previous
                  .handle((ignored, failure) -> null)
                  // Off the storage thread: the write may wait for admission, which must
                  // never block the thread that would release it.
                  .thenComposeAsync(
                      ignored -> readModifyWrite(volume, offset, length, data, fua), ASYNC);
          mine.whenComplete(
              (ignored, failure) -> {
                if (failure != null) {
                  done.completeExceptionally(failure);
                } else {
                  done.complete(null);
                }
              });
          return mine;
        });
    return done;
  }

  private static CompletableFuture<Void> readModifyWrite(
      Volume volume, long offset, long length, MemorySegment data, boolean fua) {
    long start = alignDown(offset);
    long end = alignUp(offset + length);
    MemorySegment sectors = MemorySegment.ofBuffer(ByteBuffer.allocateDirect((int) (end - start)));
    return volume
        .read(start, sectors)
        .thenComposeAsync(
            ignored -> {
              if (data == null) {
                sectors.asSlice(offset - start, length).fill((byte) 0);
              } else {
                MemorySegment.copy(data, 0, sectors, offset - start, length);
              }
              return volume.write(start, sectors, fua);
            },
            ASYNC);
  }
}
