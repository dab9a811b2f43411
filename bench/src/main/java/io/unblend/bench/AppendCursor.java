package io.unblend.bench;

/**
 * The offset of the next write: sequential, block after block, back to 0 at the end of the file so
 * that every write lands on space that is already allocated and written.
 */
public final class AppendCursor {
  private final long limitBytes;
  private final int blockBytes;
  private long nextOffsetBytes;

  /**
   * @param fileBytes the size of the file; its tail shorter than a block is never written
   * @param queueDepth writes in flight at once, which must not overlap
   */
  public AppendCursor(long fileBytes, int blockBytes, int queueDepth) {
    this.limitBytes = fileBytes - fileBytes % blockBytes;
    this.blockBytes = blockBytes;
    if (limitBytes < (long) blockBytes * queueDepth) {
      throw new IllegalArgumentException(
          "the file has "
              + fileBytes
              + " bytes; it needs at least queue depth times --block-bytes ("
              + (long) blockBytes * queueDepth
              + ")");
    }
  }

  public long next() {
    long offsetBytes = nextOffsetBytes;
    nextOffsetBytes += blockBytes;
    if (nextOffsetBytes == limitBytes) {
      nextOffsetBytes = 0;
    }
    return offsetBytes;
  }
}
