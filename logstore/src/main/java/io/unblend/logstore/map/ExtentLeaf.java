package io.unblend.logstore.map;

/**
 * Up to {@link #CAPACITY} extents in ascending order, as three parallel arrays: 20 bytes per extent
 * when full, against the 40–48 of an object per extent.
 */
final class ExtentLeaf extends ExtentTreeNode {
  final long[] starts = new long[CAPACITY + 1];
  final long[] addresses = new long[CAPACITY + 1];
  final int[] lengths = new int[CAPACITY + 1];

  ExtentLeaf(Object owner) {
    super(owner);
  }

  long start(int index) {
    return starts[index];
  }

  long end(int index) {
    return starts[index] + lengths[index];
  }

  int length(int index) {
    return lengths[index];
  }

  long address(int index) {
    return addresses[index];
  }

  /** The log sector that holds logical {@code sector}, which lies in extent {@code index}. */
  long addressAt(int index, long sector) {
    return ExtentAddresses.advance(addresses[index], sector - starts[index]);
  }

  @Override
  long firstSector() {
    return starts[0];
  }

  /** The index of the last extent starting before {@code sector}, or -1. */
  int lastStartingBefore(long sector) {
    return lastBelow(starts, 0, count, sector);
  }

  /** The index of the extent holding {@code sector}, else of the first after it, else count. */
  int firstEndingAfter(long sector) {
    int index = lastStartingBefore(sector + 1);
    return index >= 0 && end(index) > sector ? index : index + 1;
  }

  void insert(int index, long startSector, long lengthSectors, long address) {
    copyRange(this, index, index + 1, count - index);
    starts[index] = startSector;
    addresses[index] = address;
    count++;
    resize(index, lengthSectors);
  }

  /** Removes the extents {@code [from, to)}. */
  void remove(int from, int to) {
    copyRange(this, to, from, count - to);
    count -= to - from;
  }

  /** Moves the end of extent {@code index}, keeping its start. */
  void resize(int index, long lengthSectors) {
    long startSector = starts[index];
    if (lengthSectors < 1
        || startSector + lengthSectors > ExtentWindows.windowEndSector(startSector)) {
      throw new IllegalStateException(
          "extent at sector "
              + startSector
              + " would have "
              + lengthSectors
              + " sectors: empty or crossing a window of "
              + ExtentWindows.WINDOW_SECTORS);
    }
    lengths[index] = (int) lengthSectors;
  }

  /** Moves the start of extent {@code index} forward to {@code sector}, keeping its end. */
  void clipFront(int index, long sector) {
    long endSector = end(index);
    addresses[index] = addressAt(index, sector);
    starts[index] = sector;
    resize(index, endSector - sector);
  }

  @Override
  ExtentLeaf emptySibling(Object newOwner) {
    return new ExtentLeaf(newOwner);
  }

  @Override
  void copyRange(ExtentTreeNode from, int fromIndex, int toIndex, int entries) {
    ExtentLeaf leaf = (ExtentLeaf) from;
    System.arraycopy(leaf.starts, fromIndex, starts, toIndex, entries);
    System.arraycopy(leaf.addresses, fromIndex, addresses, toIndex, entries);
    System.arraycopy(leaf.lengths, fromIndex, lengths, toIndex, entries);
  }

  /** Extents are plain numbers: nothing to forget. */
  @Override
  void clear(int from, int to) {}
}
