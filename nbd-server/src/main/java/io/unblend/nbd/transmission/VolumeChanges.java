package io.unblend.nbd.transmission;

import io.unblend.logstore.Volume;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * Every change that connections make to one volume: aligned writes, trims and zeroes, and the
 * read-modify-writes that serve unaligned writes and zeroes. One per volume, shared by all its
 * connections, so that its {@link ReadModifyWriteOrder} sees every change and no read-modify-write
 * writes back bytes that another change has replaced since it read them.
 */
public final class VolumeChanges {
  /**
   * Where changes released by another's completion start, and where read-modify-writes write back:
   * off the storage thread, because a volume write may wait for admission, which must never block
   * the thread that would grant it.
   */
  private static final Executor OFF_STORAGE_THREAD = ForkJoinPool.commonPool();

  private final Volume volume;
  private final ReadModifyWriteOrder order = new ReadModifyWriteOrder(OFF_STORAGE_THREAD);

  public VolumeChanges(Volume volume) {
    this.volume = volume;
  }

  // The aligned changes call the volume in two places: the direct call allocates nothing, and the
  // lambda that queues the same call is created only when a read-modify-write is queued.

  CompletableFuture<Void> write(long offsetBytes, MemorySegment data, boolean fua) {
    return order.enterDirect()
        ? order.leaveDirectWhenDone(volume.write(offsetBytes, data, fua))
        : order.queueAligned(
            offsetBytes, data.byteSize(), () -> volume.write(offsetBytes, data, fua));
  }

  CompletableFuture<Void> trim(long offsetBytes, long lengthBytes, boolean fua) {
    return order.enterDirect()
        ? order.leaveDirectWhenDone(volume.trim(offsetBytes, lengthBytes, fua))
        : order.queueAligned(
            offsetBytes, lengthBytes, () -> volume.trim(offsetBytes, lengthBytes, fua));
  }

  CompletableFuture<Void> writeZeroes(
      long offsetBytes, long lengthBytes, boolean noHole, boolean fua) {
    return order.enterDirect()
        ? order.leaveDirectWhenDone(volume.writeZeroes(offsetBytes, lengthBytes, noHole, fua))
        : order.queueAligned(
            offsetBytes,
            lengthBytes,
            () -> volume.writeZeroes(offsetBytes, lengthBytes, noHole, fua));
  }

  /**
   * Writes {@code data} (null: zeros of {@code lengthBytes}) at any offset: reads the surrounding
   * sectors, patches them and writes them back, while no other change to them is in flight.
   */
  CompletableFuture<Void> readModifyWrite(
      long offsetBytes, long lengthBytes, MemorySegment data, boolean fua) {
    long start = UnalignedRequests.alignDown(offsetBytes);
    long end = UnalignedRequests.alignUp(offsetBytes + lengthBytes);
    return order.queueReadModifyWrite(
        start,
        end - start,
        () -> {
          MemorySegment sectors =
              MemorySegment.ofBuffer(ByteBuffer.allocateDirect((int) (end - start)));
          return volume
              .read(start, sectors)
              .thenComposeAsync(
                  ignored -> {
                    if (data == null) {
                      sectors.asSlice(offsetBytes - start, lengthBytes).fill((byte) 0);
                    } else {
                      MemorySegment.copy(data, 0, sectors, offsetBytes - start, lengthBytes);
                    }
                    return volume.write(start, sectors, fua);
                  },
                  OFF_STORAGE_THREAD);
        });
  }
}
