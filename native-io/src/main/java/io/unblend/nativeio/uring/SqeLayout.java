package io.unblend.nativeio.uring;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;

/**
 * The submission queue entry, {@code struct io_uring_sqe} (linux/io_uring.h), 64 bytes. Only this
 * class knows its offsets.
 *
 * <pre>
 *  0       1       2               4                               8
 *  +-------+-------+---------------+-------------------------------+
 *  |opcode | flags |    ioprio     |              fd               |
 *  +-------+-------+---------------+-------------------------------+
 *  |                 off (file offset; fallocate: offset)          |  8
 *  +---------------------------------------------------------------+
 *  |                 addr (buffer; fallocate: length)              | 16
 *  +-------------------------------+-------------------------------+
 *  | len (bytes; fallocate: mode)  | rw_flags / fsync_flags        | 24
 *  +-------------------------------+-------------------------------+
 *  |                 user_data (returned in the CQE)               | 32
 *  +---------------+---------------+-------------------------------+
 *  |  buf_index    |  personality  |  splice_fd_in                 | 40
 *  +---------------+---------------+-------------------------------+
 *  |                 addr3 / pad (zero)                            | 48..63
 *  +---------------------------------------------------------------+
 * </pre>
 */
final class SqeLayout {
  static final int SIZE_BYTES = 64;

  static final int OPCODE_OFFSET = 0;
  static final int FLAGS_OFFSET = 1;
  static final int FD_OFFSET = 4;
  static final int OFF_OFFSET = 8;
  static final int ADDR_OFFSET = 16;
  static final int LEN_OFFSET = 24;
  static final int OP_FLAGS_OFFSET = 28;
  static final int USER_DATA_OFFSET = 32;
  static final int BUF_INDEX_OFFSET = 40;

  static final byte IORING_OP_NOP = 0;
  static final byte IORING_OP_FSYNC = 3;
  static final byte IORING_OP_READ_FIXED = 4;
  static final byte IORING_OP_WRITE_FIXED = 5;
  static final byte IORING_OP_FALLOCATE = 17;
  static final byte IORING_OP_READ = 22;
  static final byte IORING_OP_WRITE = 23;

  static final int IORING_FSYNC_DATASYNC = 1;

  /** rw_flags of a write: durable on completion, per write (linux/fs.h). */
  static final int RWF_DSYNC = 0x2;

  private SqeLayout() {}

  /** Writes one whole SQE at {@code base} in the SQE array; every other field is zero. */
  static void write(
      MemorySegment sqes,
      long base,
      byte opcode,
      int fd,
      long offset,
      long address,
      int length,
      int operationFlags,
      long userData,
      short bufferIndex) {
    for (int word = 0; word < SIZE_BYTES; word += Long.BYTES) {
      sqes.set(JAVA_LONG, base + word, 0L);
    }
    sqes.set(JAVA_BYTE, base + OPCODE_OFFSET, opcode);
    sqes.set(JAVA_BYTE, base + FLAGS_OFFSET, (byte) 0);
    sqes.set(JAVA_INT, base + FD_OFFSET, fd);
    sqes.set(JAVA_LONG, base + OFF_OFFSET, offset);
    sqes.set(JAVA_LONG, base + ADDR_OFFSET, address);
    sqes.set(JAVA_INT, base + LEN_OFFSET, length);
    sqes.set(JAVA_INT, base + OP_FLAGS_OFFSET, operationFlags);
    sqes.set(JAVA_LONG, base + USER_DATA_OFFSET, userData);
    sqes.set(JAVA_SHORT, base + BUF_INDEX_OFFSET, bufferIndex);
  }
}
