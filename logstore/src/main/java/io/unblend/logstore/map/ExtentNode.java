package io.unblend.logstore.map;

/**
 * One extent of a map: logical sectors {@code [startSector, startSector + lengthSectors)} held at
 * log sectors {@code [address, address + lengthSectors)}, or allocated-zero when {@code address} is
 * {@link ExtentMap#ZERO}. It is also a node of the map's treap.
 *
 * <p>With compressed oops and class pointers a node takes 48 bytes: a 12-byte header, two longs, an
 * int and three references (44 bytes), padded to a multiple of 8. With compact object headers (an
 * 8-byte header, which the server's {@code jvm.options} turns on) it takes 40.
 *
 * <p>{@code startSector}, {@code address} and {@code owner} never change. The other fields are
 * written only by the map version whose token is {@code owner}; a snapshot retires that token, so a
 * node reachable from a snapshot is never written again (see {@link ExtentTreap}).
 */
final class ExtentNode {
  /**
   * No extent crosses a multiple of this many sectors (512 GiB). That keeps a length in an int, and
   * because where extents end then depends only on the map's content, equal contents have equal
   * extents.
   */
  static final long WINDOW_SECTORS = 1L << 30;

  final long startSector;
  final long address;
  final ExtentTreap owner;
  private int lengthSectors;
  ExtentNode left;
  ExtentNode right;

  ExtentNode(
      long startSector,
      long lengthSectors,
      long address,
      ExtentTreap owner,
      ExtentNode left,
      ExtentNode right) {
    if (startSector < 0 || address < ExtentMap.ZERO) {
      throw new IllegalStateException(
          "extent with startSector " + startSector + " and address " + address);
    }
    this.startSector = startSector;
    this.address = address;
    this.owner = owner;
    this.left = left;
    this.right = right;
    resize(lengthSectors);
  }

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

  int lengthSectors() {
    return lengthSectors;
  }

  long endSector() {
    return startSector + lengthSectors;
  }

  /** The log sector that holds logical {@code sector}, which lies in this extent. */
  long addressAt(long sector) {
    return ExtentAddresses.advance(address, sector - startSector);
  }

  /** Moves the end, keeping the start: that keeps the node's place and priority in the treap. */
  void resize(long newLengthSectors) {
    if (newLengthSectors < 1 || startSector + newLengthSectors > windowEndSector(startSector)) {
      throw new IllegalStateException(
          "extent at sector "
              + startSector
              + " would have "
              + newLengthSectors
              + " sectors: empty or crossing a window of "
              + WINDOW_SECTORS);
    }
    this.lengthSectors = (int) newLengthSectors;
  }

  /** A copy that {@code newOwner} may write, sharing both subtrees. */
  ExtentNode copyFor(ExtentTreap newOwner) {
    return new ExtentNode(startSector, lengthSectors, address, newOwner, left, right);
  }
}
