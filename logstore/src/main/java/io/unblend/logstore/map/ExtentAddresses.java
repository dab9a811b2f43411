package io.unblend.logstore.map;

/** Arithmetic on log addresses that keeps {@link ExtentMap#ZERO} as it is. */
final class ExtentAddresses {
  private ExtentAddresses() {}

  /** The address {@code offsetSectors} further on; an allocated-zero run stays allocated-zero. */
  static long advance(long address, long offsetSectors) {
    return address == ExtentMap.ZERO ? ExtentMap.ZERO : address + offsetSectors;
  }

  /**
   * Whether a run at {@code nextAddress} continues one of {@code sectorCount} sectors at {@code
   * address}, so that the two may be one extent.
   */
  static boolean continues(long address, long sectorCount, long nextAddress) {
    if (address == ExtentMap.ZERO || nextAddress == ExtentMap.ZERO) {
      return address == nextAddress;
    }
    return address + sectorCount == nextAddress;
  }
}
