package io.unblend.logstore.map;

import java.util.Arrays;

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
    return lastBelow(firstSectors, 1, count, sector + 1);
  }

  void insert(int index, ExtentTreeNode child) {
    copyRange(this, index, index + 1, count - index);
    set(index, child);
    count++;
  }

  void remove(int index) {
    copyRange(this, index + 1, index, count - index - 1);
    count--;
    clear(count, count + 1);
  }

  /** Sets child {@code index} and its key. */
  void set(int index, ExtentTreeNode child) {
    children[index] = child;
    firstSectors[index] = child.firstSector();
  }

  @Override
  ExtentBranch emptySibling(Object newOwner) {
    return new ExtentBranch(newOwner);
  }

  @Override
  void copyRange(ExtentTreeNode from, int fromIndex, int toIndex, int entries) {
    ExtentBranch branch = (ExtentBranch) from;
    System.arraycopy(branch.firstSectors, fromIndex, firstSectors, toIndex, entries);
    System.arraycopy(branch.children, fromIndex, children, toIndex, entries);
  }

  /** Drops references to nodes no longer held, so that they can be collected. */
  @Override
  void clear(int from, int to) {
    Arrays.fill(children, from, to, null);
  }
}
