package io.unblend.nbd.transmission;

import io.unblend.logstore.BlockStatusRun;
import java.util.ArrayList;
import java.util.List;

/**
 * The chunks of a structured reply to a read (doc/proto.md "Structured reply types"): adjacent runs
 * of zeros as one NBD_REPLY_TYPE_OFFSET_HOLE ("A server SHOULD try to minimize the number of
 * chunks"), and data as NBD_REPLY_TYPE_OFFSET_DATA chunks of at most the advertised maximum payload
 * ("A server MUST NOT send a chunk where any variable-length portion of the chunk is larger than
 * any advertised maximum payload size").
 */
final class ReadChunks {
  private ReadChunks() {}

  /**
   * One chunk of the reply: a hole or data, {@code lengthBytes} from {@code startBytes} into the
   * request.
   */
  record Chunk(boolean hole, int startBytes, int lengthBytes) {}

  /**
   * @param runs the read's runs, in order, covering the whole request
   * @param dataBytesMax the most data one chunk may carry
   */
  static List<Chunk> of(List<BlockStatusRun> runs, int dataBytesMax) {
    List<Chunk> chunks = new ArrayList<>();
    int start = 0;
    int next = 0;
    while (next < runs.size()) {
      boolean hole = runs.get(next).zero();
      long length = 0;
      while (next < runs.size() && runs.get(next).zero() == hole) {
        length += runs.get(next).lengthBytes();
        next++;
      }
      if (hole) {
        chunks.add(new Chunk(true, start, (int) length));
      } else {
        for (int done = 0; done < length; ) {
          int piece = (int) Math.min(dataBytesMax, length - done);
          chunks.add(new Chunk(false, start + done, piece));
          done += piece;
        }
      }
      start += (int) length;
    }
    return chunks;
  }
}
