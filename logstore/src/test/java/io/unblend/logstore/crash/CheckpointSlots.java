package io.unblend.logstore.crash;

import io.unblend.logstore.checkpoint.CheckpointFormat;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.Region;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.OpenFlag;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.EnumSet;

/**
 * The two checkpoint slots of a store in a data directory (real or simulated), read and damaged
 * through an I/O engine while no store has them open.
 */
final class CheckpointSlots {
  private CheckpointSlots() {}

  static Path slotFile(Path directory, int slot) {
    return directory.resolve(StoreLayout.CHECKPOINT_FILE_PREFIX + slot);
  }

  /** Each slot's checkpoint sequence as the store reads it, or -1 where the header is invalid. */
  static long[] sequences(IoEngine engine, Path directory) throws NativeIoException {
    long[] sequences = new long[2];
    try (Arena arena = Arena.ofConfined()) {
      BlockingIo io = new BlockingIo(engine);
      MemorySegment staging = arena.allocate(CheckpointFormat.HEADER_BYTES, Bytes.BLOCK_BYTES);
      for (int slot = 0; slot < 2; slot++) {
        try (IoFile file = engine.open(slotFile(directory, slot), EnumSet.noneOf(OpenFlag.class))) {
          sequences[slot] =
              CheckpointFormat.readSequence(io, new Region(file, 0, Long.MAX_VALUE), staging);
        }
      }
    }
    return sequences;
  }

  /** The slot holding the newest valid checkpoint; both must be valid. */
  static int newest(long[] sequences) {
    if (sequences[0] < 0 || sequences[1] < 0) {
      throw new AssertionError(
          "both slots should hold a checkpoint: sequences " + sequences[0] + ", " + sequences[1]);
    }
    return sequences[0] > sequences[1] ? 0 : 1;
  }

  /** Flips bit 4 of the byte at {@code offsetBytes} of slot {@code slot}'s file. */
  static void flipBit(IoEngine engine, Path directory, int slot, long offsetBytes)
      throws NativeIoException {
    long blockOffset = Bytes.roundDownToBlock(offsetBytes);
    try (Arena arena = Arena.ofConfined();
        IoFile file = engine.open(slotFile(directory, slot), EnumSet.of(OpenFlag.WRITE))) {
      BlockingIo io = new BlockingIo(engine);
      MemorySegment block = arena.allocate(Bytes.BLOCK_BYTES, Bytes.BLOCK_BYTES);
      if (io.read(file, blockOffset, block) != Bytes.BLOCK_BYTES) {
        throw new AssertionError(slotFile(directory, slot) + " ends before " + offsetBytes);
      }
      long within = offsetBytes - blockOffset;
      block.set(
          ValueLayout.JAVA_BYTE, within, (byte) (block.get(ValueLayout.JAVA_BYTE, within) ^ 0x10));
      io.write(file, blockOffset, block);
      io.datasync(file);
    }
  }
}
