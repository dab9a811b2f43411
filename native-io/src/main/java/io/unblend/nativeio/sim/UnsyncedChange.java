package io.unblend.nativeio.sim;

import java.lang.foreign.MemorySegment;
import java.util.random.RandomGenerator;

/**
 * A write or a size extension that completed but is not yet durable: the disk may still lose it,
 * keep it, or (a write) tear it when the power goes.
 *
 * <p>A tear keeps some of the write's 512-byte sectors, counted from absolute 512-byte boundaries
 * of the file, because a sector is what devices write atomically. Half the tears keep a prefix (the
 * transfer stopped part way, the common case); the other half keep a random subset of sectors (a
 * device with a volatile cache flushes sectors in any order), so recovery code cannot assume that a
 * surviving sector implies its predecessors survived.
 *
 * @param data the written bytes (a private copy); empty for a size extension by fallocate
 * @param endBytes the file size this change asks for
 * @param survivesPowerCut whether the change is durable already (an O_DSYNC write) and only waits
 *     for the changes before it, so that a power cut applies it in order
 */
record UnsyncedChange(
    long offsetBytes, MemorySegment data, long endBytes, boolean survivesPowerCut) {
  static final int SECTOR_BYTES = 512;

  /** Applies the whole change to {@code durable}; returns the file size it asks for. */
  long applyTo(SparseContents durable) {
    durable.write(offsetBytes, data);
    return endBytes;
  }

  /**
   * Applies what of this change survives a power cut to {@code durable}; returns the end of the
   * surviving bytes, which is the least file size they need (0 when nothing survived).
   */
  long survivePowerCut(SparseContents durable, RandomGenerator random) {
    if (survivesPowerCut) {
      return applyTo(durable);
    }
    int sectors = sectorCount();
    return switch (random.nextInt(sectors > 1 ? 3 : 2)) {
      case 0 -> 0;
      case 1 -> applyTo(durable);
      default -> tear(durable, random, sectors);
    };
  }

  private long tear(SparseContents durable, RandomGenerator random, int sectors) {
    boolean prefix = random.nextBoolean();
    int prefixSectors = 1 + random.nextInt(sectors - 1);
    long firstSectorBytes = offsetBytes - offsetBytes % SECTOR_BYTES;
    long survivedEndBytes = 0;
    for (int sector = 0; sector < sectors; sector++) {
      if (prefix ? sector < prefixSectors : random.nextBoolean()) {
        long sectorBytes = firstSectorBytes + (long) sector * SECTOR_BYTES;
        long startBytes = Math.max(offsetBytes, sectorBytes);
        long keptEndBytes = Math.min(offsetBytes + data.byteSize(), sectorBytes + SECTOR_BYTES);
        durable.write(
            startBytes, data.asSlice(startBytes - offsetBytes, keptEndBytes - startBytes));
        survivedEndBytes = keptEndBytes;
      }
    }
    return survivedEndBytes;
  }

  private int sectorCount() {
    if (data.byteSize() == 0) {
      return 0;
    }
    long endBytes = offsetBytes + data.byteSize();
    return (int) ((endBytes + SECTOR_BYTES - 1) / SECTOR_BYTES - offsetBytes / SECTOR_BYTES);
  }
}
