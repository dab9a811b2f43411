package io.unblend.nativeio.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One file of a {@link SimulatedDisk}: its durable contents and size, the changes made since the
 * last datasync in the order they completed, and the latest contents that reads see. Not
 * thread-safe; the disk serialises access.
 */
final class SimulatedFile {
  private final List<UnsyncedChange> unsynced = new ArrayList<>();
  private final SparseContents durable = new SparseContents();
  private SparseContents latest = new SparseContents();
  private long durableSizeBytes;
  private long sizeBytes;

  long sizeBytes() {
    return sizeBytes;
  }

  /** Reads like pread(2): returns the bytes read, fewer than asked at the end of the file. */
  int read(long offsetBytes, MemorySegment buffer) {
    long readBytes = Math.clamp(sizeBytes - offsetBytes, 0, buffer.byteSize());
    latest.read(offsetBytes, buffer.asSlice(0, readBytes));
    return (int) readBytes;
  }

  void write(long offsetBytes, MemorySegment buffer, boolean durableOnCompletion) {
    if (buffer.byteSize() == 0) {
      return;
    }
    MemorySegment data = MemorySegment.ofArray(buffer.toArray(ValueLayout.JAVA_BYTE));
    latest.write(offsetBytes, data);
    record(
        new UnsyncedChange(offsetBytes, data, offsetBytes + data.byteSize(), durableOnCompletion));
  }

  void extendTo(long endBytes) {
    record(new UnsyncedChange(endBytes, MemorySegment.ofArray(new byte[0]), endBytes, false));
  }

  void datasync() {
    for (UnsyncedChange change : unsynced) {
      durableSizeBytes = Math.max(durableSizeBytes, change.applyTo(durable));
    }
    unsynced.clear();
  }

  /** Lets each unsynced change, in order, be lost, kept or torn; then reads see what survived. */
  void powerCut(RandomGenerator random) {
    for (UnsyncedChange change : unsynced) {
      durableSizeBytes = Math.max(durableSizeBytes, change.survivePowerCut(durable, random));
    }
    unsynced.clear();
    restartFromDurable();
  }

  /** Loses every change that was not durable on completion; those are kept, in order. */
  void powerCutLosingAllUnsynced() {
    for (UnsyncedChange change : unsynced) {
      if (change.survivesPowerCut()) {
        durableSizeBytes = Math.max(durableSizeBytes, change.applyTo(durable));
      }
    }
    unsynced.clear();
    restartFromDurable();
  }

  private void record(UnsyncedChange change) {
    sizeBytes = Math.max(sizeBytes, change.endBytes());
    unsynced.add(change);
    // O_DSYNC changes with nothing unsynced before them are durable now; folding them keeps a
    // workload that never calls datasync from holding every write twice.
    while (!unsynced.isEmpty() && unsynced.getFirst().survivesPowerCut()) {
      durableSizeBytes = Math.max(durableSizeBytes, unsynced.removeFirst().applyTo(durable));
    }
  }

  private void restartFromDurable() {
    latest = durable.copy();
    sizeBytes = durableSizeBytes;
  }
}
