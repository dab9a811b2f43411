package io.unblend.nbd.transmission;

import io.unblend.nbd.metadata.StatusRun;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a context's status runs over the sector-aligned range around a request into the descriptors
 * of its reply ("NBD_REPLY_TYPE_BLOCK_STATUS"): starting at the offset the client asked for,
 * covering at most its length, in at most as many descriptors as one chunk may carry (the server
 * "MAY return fewer descriptors in the reply than would be required to fully specify the whole
 * range", "so long as at least one extent is returned"); with NBD_CMD_FLAG_REQ_ONE exactly one.
 */
final class BlockStatusDescriptors {
  private BlockStatusDescriptors() {}

  /**
   * @param runs the runs from the aligned start
   * @param skipBytes bytes from the aligned start to the requested offset
   * @param lengthBytes the requested length
   * @param descriptorsMax the most descriptors to return (at least one)
   * @return {length, flags} pairs
   */
  static List<long[]> clip(
      List<StatusRun> runs, long skipBytes, long lengthBytes, int descriptorsMax) {
    List<long[]> descriptors = new ArrayList<>();
    long covered = 0;
    long skip = skipBytes;
    for (StatusRun run : runs) {
      long length = run.lengthBytes() - skip;
      skip = Math.max(0, -length);
      if (length <= 0) {
        continue;
      }
      long room = lengthBytes - covered;
      if (room <= 0) {
        break;
      }
      length = Math.min(length, room);
      covered += length;
      descriptors.add(new long[] {length, run.flags()});
      if (descriptors.size() == descriptorsMax) {
        break;
      }
    }
    return descriptors;
  }
}
