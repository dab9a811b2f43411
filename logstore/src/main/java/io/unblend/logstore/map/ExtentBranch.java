package io.unblend.logstore.map;

/**
 * Up to {@link #CAPACITY} child nodes in ascending order, each with the start sector of its first
 * extent: exact, not merely a bound, so that the child holding the last extent starting at or
 * before a sector is found from the keys alone.
 */
final class ExtentBranch extends ExtentTreeNode {
  final long[] firstSectors = new long[CAPACITY + 1];
  final ExtentTreeNode[] children = new ExtentTreeNode[CAPACITY + 1];

  ExtentBranch(Object owner) {
    super(owner);
  }

  @Override
  long firstSector() {
    return firstSectors[0];
  }

  /** The last child whose first extent starts at or before {@code sector}, else the first. */
  int childFor(long sector) {
    int low = 1;
    int high = count - 1;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      if (firstSectors[middle] <= sector) {
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return high;
  }

  void insert(int index, ExtentTreeNode child) {
    int moved = count - index;
    System.arraycopy(firstSectors, index, firstSectors, index + 1, moved);
    System.arraycopy(children, index, children, index + 1, moved);
    firstSectors[index] = child.firstSector();
    children[index] = child;
    count++;
  }

  void remove(int index) {
    int moved = count - index - 1;
    System.arraycopy(firstSectors, index + 1, firstSectors, index, moved);
    System.arraycopy(children, index + 1, children, index, moved);
    count--;
    children[count] = null;
  }

  /** Sets child {@code index} and its key. */
  void set(int index, ExtentTreeNode child) {
    children[index] = child;
    firstSectors[index] = child.firstSector();
  }

  @Override
  ExtentBranch copyFor(Object newOwner) {
    ExtentBranch copy = new ExtentBranch(newOwner);
    copy.copyRange(this, 0, 0, count);
    copy.count = count;
    return copy;
  }

  @Override
  ExtentBranch emptySibling(Object newOwner) {
    return new ExtentBranch(newOwner);
  }

  @Override
  void moveTail(int index, ExtentTreeNode right) {
    ExtentBranch branch = (ExtentBranch) right;
    branch.copyRange(this, index, 0, count - index);
    branch.count = count - index;
    clear(index, count);
    count = index;
  }

  @Override
  void appendAll(ExtentTreeNode right) {
    ExtentBranch branch = (ExtentBranch) right;
    copyRange(branch, 0, count, branch.count);
    count += branch.count;
    branch.clear(0, branch.count);
    branch.count = 0;
  }

  @Override
  void shiftToRight(int entries, ExtentTreeNode right) {
    ExtentBranch branch = (ExtentBranch) right;
    branch.copyRange(branch, 0, entries, branch.count);
    branch.copyRange(this, count - entries, 0, entries);
    branch.count += entries;
    clear(count - entries, count);
    count -= entries;
  }

  @Override
  void shiftFromRight(int entries, ExtentTreeNode right) {
    ExtentBranch branch = (ExtentBranch) right;
    copyRange(branch, 0, count, entries);
    count += entries;
    branch.copyRange(branch, entries, 0, branch.count - entries);
    branch.clear(branch.count - entries, branch.count);
    branch.count -= entries;
  }

  private void copyRange(ExtentBranch from, int fromIndex, int toIndex, int entries) {
    System.arraycopy(from.firstSectors, fromIndex, firstSectors, toIndex, entries);
    System.arraycopy(from.children, fromIndex, children, toIndex, entries);
  }

  /** Drops references to nodes no longer held, so that they can be collected. */
  private void clear(int from, int to) {
    java.util.Arrays.fill(children, from, to, null);
  }
}
