package io.unblend.logstore.checkpoint;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.Region;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.Errno;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/**
 * Writes a checkpoint body sequentially into a slot through a staging buffer, block-aligned for
 * O_DIRECT, computing its CRC32C on the way, so that a large map never needs one large buffer.
 */
final class SlotOutput {
  private final BlockingIo io;
  private final Region slot;
  private final MemorySegment staging;
  private final CRC32C crc = new CRC32C();
  private long writtenBytes;
  private long position;
  private long totalBytes;

  SlotOutput(BlockingIo io, Region slot, MemorySegment staging, long startOffsetBytes) {
    this.io = io;
    this.slot = slot;
    this.staging = staging;
    this.writtenBytes = startOffsetBytes;
  }

  void putLong(long value) throws NativeIoException {
    room(Long.BYTES);
    staging.set(Bytes.U64, position, value);
    advance(Long.BYTES);
  }

  void putInt(int value) throws NativeIoException {
    room(Integer.BYTES);
    staging.set(Bytes.U32, position, value);
    advance(Integer.BYTES);
  }

  void putBytes(byte[] bytes) throws NativeIoException {
    for (byte b : bytes) {
      room(1);
      staging.set(ValueLayout.JAVA_BYTE, position, b);
      advance(1);
    }
  }

  private void advance(int bytes) {
    position += bytes;
    totalBytes += bytes;
  }

  private void room(int bytes) throws NativeIoException {
    if (position + bytes > staging.byteSize()) {
      writeStaged(position);
    }
  }

  /** Pads the body to a whole block, writes what is staged; returns body bytes and CRC. */
  long[] finish() throws NativeIoException {
    long padded = Bytes.roundUpToBlock(position);
    staging.asSlice(position, padded - position).fill((byte) 0);
    totalBytes += padded - position;
    writeStaged(padded);
    return new long[] {totalBytes, Integer.toUnsignedLong((int) crc.getValue())};
  }

  private void writeStaged(long bytes) throws NativeIoException {
    if (bytes == 0) {
      return;
    }
    long aligned = Bytes.roundDownToBlock(bytes);
    MemorySegment chunk = staging.asSlice(0, aligned);
    if (writtenBytes + aligned > slot.capacityBytes()) {
      throw new NativeIoException(
          Errno.ENOSPC.number(),
          "checkpoint write",
          slot.file().path(),
          slot.offsetBytes() + writtenBytes,
          aligned,
          "the checkpoint does not fit in its slot of " + slot.capacityBytes() + " bytes");
    }
    crc.update(chunk.asByteBuffer());
    io.write(slot.file(), slot.offsetBytes() + writtenBytes, chunk);
    writtenBytes += aligned;
    // Keep the unaligned tail at the start of the staging buffer.
    long tail = bytes - aligned;
    MemorySegment.copy(staging, aligned, staging, 0, tail);
    position = tail;
  }
}
