package io.unblend.nativeio.sim;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * The bytes of one simulated file, kept in pages that exist only where something was written, so
 * that a large preallocated file costs no memory until it is written. Unwritten bytes read as
 * zeros.
 */
final class SparseContents {
  private static final int PAGE_BYTES = 4096;

  private final Map<Long, byte[]> pages;

  SparseContents() {
    this(new HashMap<>());
  }

  private SparseContents(Map<Long, byte[]> pages) {
    this.pages = pages;
  }

  void write(long offsetBytes, MemorySegment source) {
    long doneBytes = 0;
    while (doneBytes < source.byteSize()) {
      long positionBytes = offsetBytes + doneBytes;
      int inPageBytes = (int) (positionBytes % PAGE_BYTES);
      long chunkBytes = Math.min(PAGE_BYTES - inPageBytes, source.byteSize() - doneBytes);
      byte[] page = pages.computeIfAbsent(positionBytes / PAGE_BYTES, _ -> new byte[PAGE_BYTES]);
      MemorySegment.copy(source, doneBytes, MemorySegment.ofArray(page), inPageBytes, chunkBytes);
      doneBytes += chunkBytes;
    }
  }

  /** Fills all of {@code destination} with the bytes from {@code offsetBytes} on. */
  void read(long offsetBytes, MemorySegment destination) {
    long doneBytes = 0;
    while (doneBytes < destination.byteSize()) {
      long positionBytes = offsetBytes + doneBytes;
      int inPageBytes = (int) (positionBytes % PAGE_BYTES);
      long chunkBytes = Math.min(PAGE_BYTES - inPageBytes, destination.byteSize() - doneBytes);
      byte[] page = pages.get(positionBytes / PAGE_BYTES);
      if (page == null) {
        destination.asSlice(doneBytes, chunkBytes).fill((byte) 0);
      } else {
        MemorySegment.copy(
            MemorySegment.ofArray(page), inPageBytes, destination, doneBytes, chunkBytes);
      }
      doneBytes += chunkBytes;
    }
  }

  SparseContents copy() {
    Map<Long, byte[]> copied = HashMap.newHashMap(pages.size());
    pages.forEach((index, page) -> copied.put(index, page.clone()));
    return new SparseContents(copied);
  }
}
