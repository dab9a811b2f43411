package io.unblend.logstore.checkpoint;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.CorruptStoreException;
import io.unblend.logstore.layout.Region;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/** Reads a checkpoint body sequentially from a slot, checking that it stays inside its length. */
final class SlotInput {
  private final BlockingIo io;
  private final Region slot;
  private final MemorySegment staging;
  private final long endBytes;
  private final CRC32C crc = new CRC32C();
  private long readBytes;
  private long position;
  private long available;

  SlotInput(
      BlockingIo io, Region slot, MemorySegment staging, long startOffsetBytes, long bodyBytes) {
    this.io = io;
    this.slot = slot;
    this.staging = staging;
    this.readBytes = startOffsetBytes;
    this.endBytes = startOffsetBytes + bodyBytes;
  }

  long getLong() throws NativeIoException, CorruptStoreException {
    need(Long.BYTES);
    long value = staging.get(Bytes.U64, position);
    position += Long.BYTES;
    return value;
  }

  int getInt() throws NativeIoException, CorruptStoreException {
    need(Integer.BYTES);
    int value = staging.get(Bytes.U32, position);
    position += Integer.BYTES;
    return value;
  }

  byte[] getBytes(int count) throws NativeIoException, CorruptStoreException {
    byte[] bytes = new byte[count];
    for (int i = 0; i < count; i++) {
      need(1);
      bytes[i] = staging.get(ValueLayout.JAVA_BYTE, position++);
    }
    return bytes;
  }

  /** The CRC32C of everything read so far, once the whole body has been read. */
  int finishCrc() throws NativeIoException, CorruptStoreException {
    while (readBytes < endBytes) {
      position = available;
      need(1);
    }
    return (int) crc.getValue();
  }

  private void need(int bytes) throws NativeIoException, CorruptStoreException {
    if (position + bytes <= available) {
      return;
    }
    long keep = available - position;
    MemorySegment.copy(staging, position, staging, 0, keep);
    long room = Bytes.roundDownToBlock(staging.byteSize() - keep);
    long chunkBytes = Math.min(room, endBytes - readBytes);
    if (chunkBytes <= 0 || keep + chunkBytes < bytes) {
      throw new CorruptStoreException(
          "checkpoint in " + slot.file().path() + " ends in the middle of a record");
    }
    // Reads start at a block boundary, so stage the chunk after the kept bytes by reading into
    // an aligned scratch area at the end, then moving it.
    MemorySegment scratch = staging.asSlice(staging.byteSize() - room, room).asSlice(0, chunkBytes);
    int got = io.read(slot.file(), slot.offsetBytes() + readBytes, scratch);
    if (got != chunkBytes) {
      throw new CorruptStoreException(
          "checkpoint in " + slot.file().path() + " is shorter than its header says");
    }
    crc.update(scratch.asByteBuffer());
    MemorySegment.copy(staging, staging.byteSize() - room, staging, keep, chunkBytes);
    readBytes += chunkBytes;
    position = 0;
    available = keep + chunkBytes;
  }
}
