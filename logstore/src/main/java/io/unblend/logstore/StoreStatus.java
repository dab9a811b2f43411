package io.unblend.logstore;

/**
 * The store's space and activity as the storage thread sees them now.
 *
 * @param logBytes the log's capacity
 * @param segmentBytes the size of one segment
 * @param segmentCount segments in the log
 * @param freeSegments segments that hold nothing live (some may wait for a checkpoint before reuse)
 * @param liveBytes log bytes that some map references, each counted once per segment at most
 * @param deadBytes bytes of segments in use that nothing references any more: what the cleaner can
 *     win back
 * @param clientBytesWritten data bytes clients wrote since the store was opened
 * @param logBytesWritten bytes written to the log since then: batches, headers and cleaning
 * @param cleanerBytesWritten the part of {@code logBytesWritten} that moved live data
 * @param checkpointsWritten checkpoints written in the background since then
 * @param checkpointBytesWritten their bytes: written besides the log, so not in {@code
 *     logBytesWritten}
 * @param volumes writable volumes (clones included)
 * @param snapshots read-only snapshots
 */
public record StoreStatus(
    long logBytes,
    long segmentBytes,
    int segmentCount,
    int freeSegments,
    long liveBytes,
    long deadBytes,
    long clientBytesWritten,
    long logBytesWritten,
    long cleanerBytesWritten,
    long checkpointsWritten,
    long checkpointBytesWritten,
    int volumes,
    int snapshots) {

  /** Log bytes written per client byte since the store was opened; 0 before any write. */
  public double writeAmplification() {
    return clientBytesWritten == 0 ? 0 : (double) logBytesWritten / clientBytesWritten;
  }

  /** The fraction of the log's segments that hold live data. */
  public double fill() {
    return segmentCount == 0 ? 0 : (double) (segmentCount - freeSegments) / segmentCount;
  }
}
