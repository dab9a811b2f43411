package io.unblend.nativeio.sim;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoOperation;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * An in-memory disk that outlives the engines opened on it, so that tests can cut its power and
 * check what a restarted storage engine finds. Each file keeps durable contents and the changes
 * completed since its last datasync; a power cut decides the fate of those changes and kills every
 * engine opened before it.
 *
 * <p>Paths are plain names (there are no directories) and creating a file is durable at once, since
 * {@link io.unblend.nativeio.IoEngine} has no way to sync a directory. The capacity bounds the sum
 * of the file sizes, not of written blocks: a simulated file has no holes that save space.
 *
 * <p>All methods are synchronized, so a test may cut the power from another thread while an engine
 * is busy; each operation happens entirely before or entirely after the cut.
 */
public final class SimulatedDisk {
  private final int blockSizeBytes;
  private final long capacityBytes;
  private final Map<Path, SimulatedFile> files = new HashMap<>();
  private final Faults faults = new Faults();
  private long powerCuts;

  /**
   * @param blockSizeBytes the O_DIRECT alignment of its files, a power of two of at least 512
   * @param capacityBytes the most bytes all files together may hold; growing past it is ENOSPC
   */
  public SimulatedDisk(int blockSizeBytes, long capacityBytes) {
    if (blockSizeBytes < UnsyncedChange.SECTOR_BYTES || Integer.bitCount(blockSizeBytes) != 1) {
      throw new IllegalArgumentException(
          "block size must be a power of two of at least 512: " + blockSizeBytes);
    }
    if (capacityBytes < 0) {
      throw new IllegalArgumentException("capacity must not be negative: " + capacityBytes);
    }
    this.blockSizeBytes = blockSizeBytes;
    this.capacityBytes = capacityBytes;
  }

  public int blockSizeBytes() {
    return blockSizeBytes;
  }

  /** The sum of the sizes of all files as reads see them. */
  public synchronized long usedBytes() {
    long usedBytes = 0;
    for (SimulatedFile file : files.values()) {
      usedBytes += file.sizeBytes();
    }
    return usedBytes;
  }

  public Faults faults() {
    return faults;
  }

  /**
   * Cuts the power: every change since a file's last datasync, in order, is lost, kept or torn at
   * 512-byte sector boundaries (see {@link UnsyncedChange}), each with equal chance (a write inside
   * one sector cannot tear), and a file's size shrinks to what the surviving changes need. Engines
   * opened before the cut are dead.
   */
  public synchronized void powerCut(RandomGenerator random) {
    files.values().forEach(file -> file.powerCut(random));
    powerCuts++;
  }

  /**
   * Cuts the power and loses every change since each file's last datasync, except the writes that
   * were durable on completion (O_DSYNC files, durable writes).
   */
  public synchronized void powerCutLosingAllUnsynced() {
    files.values().forEach(SimulatedFile::powerCutLosingAllUnsynced);
    powerCuts++;
  }

  /** The power cuts so far; an engine remembers it to tell whether it outlived the power. */
  synchronized long powerCuts() {
    return powerCuts;
  }

  synchronized void open(long powerCutsSeen, Path path, boolean create) throws NativeIoException {
    checkPowered(powerCutsSeen, "open", path);
    if (create) {
      files.computeIfAbsent(path, _ -> new SimulatedFile());
    } else if (!files.containsKey(path)) {
      throw NativeIoException.of(
          Errno.ENOENT.number(), "open", path, NativeIoException.NONE, NativeIoException.NONE);
    }
  }

  synchronized long sizeBytes(long powerCutsSeen, Path path) throws NativeIoException {
    checkPowered(powerCutsSeen, "size", path);
    return files.get(path).sizeBytes();
  }

  synchronized int read(long powerCutsSeen, Path path, long offsetBytes, MemorySegment buffer) {
    int refusal = refusal(powerCutsSeen, IoOperation.READ);
    return refusal != 0 ? refusal : files.get(path).read(offsetBytes, buffer);
  }

  synchronized int write(
      long powerCutsSeen,
      Path path,
      long offsetBytes,
      MemorySegment buffer,
      boolean durableOnCompletion) {
    SimulatedFile file = files.get(path);
    int refusal = refusal(powerCutsSeen, IoOperation.WRITE);
    if (refusal == 0) {
      refusal = roomFor(file, offsetBytes, buffer.byteSize());
    }
    if (refusal != 0) {
      return refusal;
    }
    file.write(offsetBytes, buffer, durableOnCompletion);
    return (int) buffer.byteSize();
  }

  synchronized int datasync(long powerCutsSeen, Path path) {
    int refusal = refusal(powerCutsSeen, IoOperation.DATASYNC);
    if (refusal == 0) {
      files.get(path).datasync();
    }
    return refusal;
  }

  /** fallocate(2) mode 0, which allocates and extends the file; the others are not simulated. */
  synchronized int fallocate(
      long powerCutsSeen, Path path, int mode, long offsetBytes, long lengthBytes) {
    SimulatedFile file = files.get(path);
    int refusal = refusal(powerCutsSeen, IoOperation.FALLOCATE);
    if (refusal == 0 && mode != 0) {
      refusal = -Errno.EOPNOTSUPP.number();
    }
    if (refusal == 0) {
      refusal = roomFor(file, offsetBytes, lengthBytes);
    }
    if (refusal == 0 && offsetBytes + lengthBytes > file.sizeBytes()) {
      file.extendTo(offsetBytes + lengthBytes);
    }
    return refusal;
  }

  synchronized int nop(long powerCutsSeen) {
    return refusal(powerCutsSeen, IoOperation.NOP);
  }

  /** The negative errno an operation fails with before it touches anything, or 0. */
  private int refusal(long powerCutsSeen, IoOperation operation) {
    if (powerCutsSeen != powerCuts) {
      return -Errno.EIO.number();
    }
    return -faults.errnoFor(operation);
  }

  /** 0 when the file may grow to cover the range, else the negative errno. */
  private int roomFor(SimulatedFile file, long offsetBytes, long lengthBytes) {
    long endBytes = offsetBytes + lengthBytes;
    if (endBytes < 0) {
      return -Errno.EFBIG.number();
    }
    long growthBytes = endBytes - file.sizeBytes();
    return growthBytes > capacityBytes - usedBytes() ? -Errno.ENOSPC.number() : 0;
  }

  private void checkPowered(long powerCutsSeen, String operation, Path path)
      throws NativeIoException {
    if (powerCutsSeen != powerCuts) {
      throw new NativeIoException(
          Errno.EIO.number(),
          operation,
          path,
          NativeIoException.NONE,
          NativeIoException.NONE,
          "the simulated disk lost power after this engine was made; make a new engine");
    }
  }
}
