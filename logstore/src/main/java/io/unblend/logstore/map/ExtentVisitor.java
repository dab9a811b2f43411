package io.unblend.logstore.map;

/** Receives the pieces of a volume's map in ascending sector order. */
@FunctionalInterface
public interface ExtentVisitor {
  /**
   * @param startSector the first logical sector of the piece
   * @param sectorCount how many 512-byte sectors, at least 1
   * @param address the log sector that holds {@code startSector}, or {@link ExtentMap#ZERO} or
   *     {@link ExtentMap#HOLE}
   */
  void visit(long startSector, long sectorCount, long address);
}
