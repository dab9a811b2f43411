package io.unblend.logstore.map;

/**
 * Where extents must end. No extent crosses a multiple of {@link #WINDOW_SECTORS} (512 GiB): that
 * keeps a length in an int, and because where extents end then depends only on what each sector
 * maps to, equal contents have equal extents whatever the order of the writes.
 */
final class ExtentWindows {
  static final long WINDOW_SECTORS = 1L << 30;

  private ExtentWindows() {}

  /** The first sector of the window that {@code sector} lies in, after it. */
  static long windowEndSector(long sector) {
    return (sector / WINDOW_SECTORS + 1) * WINDOW_SECTORS;
  }

  /**
   * Whether a run of {@code sectorCount} sectors at {@code address} ending at {@code endSector} and
   * a run at {@code nextAddress} starting at {@code nextStartSector} belong in one extent: they
   * touch, their addresses continue, and no window boundary lies between them.
   */
  static boolean mergeable(
      long endSector, long sectorCount, long address, long nextStartSector, long nextAddress) {
    return endSector == nextStartSector
        && endSector % WINDOW_SECTORS != 0
        && ExtentAddresses.continues(address, sectorCount, nextAddress);
  }
}
