package io.unblend.logstore.map;

/**
 * A node of a map's B-tree: a leaf of extents or a branch of nodes. {@code owner} is the token of
 * the map version that may write the node in place; every other version copies it first (see {@link
 * ExtentTree}). The token is a bare object, not the version itself, so that a node does not keep
 * the root of the version that made it alive.
 */
abstract sealed class ExtentTreeNode permits ExtentLeaf, ExtentBranch {
  /** Entries a node holds when full; one more fits while an insertion waits to split it. */
  static final int CAPACITY = 64;

  /** A node other than the root holds at least this many entries. */
  static final int MINIMUM = CAPACITY / 4;

  final Object owner;
  int count;

  ExtentTreeNode(Object owner) {
    this.owner = owner;
  }

  /** The start sector of the node's first extent; the node is not empty. */
  abstract long firstSector();

  /** An empty node of the same kind for {@code owner}. */
  abstract ExtentTreeNode emptySibling(Object owner);

  /**
   * Copies entries {@code [fromIndex, fromIndex + entries)} of {@code from}, a node of the same
   * kind (this one too), over this node's entries from {@code toIndex}; overlapping ranges are
   * copied as if through a temporary buffer.
   */
  abstract void copyRange(ExtentTreeNode from, int fromIndex, int toIndex, int entries);

  /** Forgets entries {@code [from, to)}, which no longer count, so that nothing they hold leaks. */
  abstract void clear(int from, int to);

  /**
   * The last index in {@code [from, to)} whose key lies below {@code bound}, else {@code from - 1}:
   * the binary search of both node kinds, whose keys ascend strictly.
   */
  static int lastBelow(long[] keys, int from, int to, long bound) {
    int low = from;
    int high = to - 1;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      if (keys[middle] < bound) {
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return high;
  }

  /** A copy that {@code newOwner} may write, sharing whatever lies below it. */
  final ExtentTreeNode copyFor(Object newOwner) {
    ExtentTreeNode copy = emptySibling(newOwner);
    copy.copyRange(this, 0, 0, count);
    copy.count = count;
    return copy;
  }

  /** Moves the entries from {@code index} on into {@code right}, which is empty. */
  final void moveTail(int index, ExtentTreeNode right) {
    right.copyRange(this, index, 0, count - index);
    right.count = count - index;
    clear(index, count);
    count = index;
  }

  /** Moves every entry of {@code right}, which follows this node, to the end of this one. */
  final void appendAll(ExtentTreeNode right) {
    copyRange(right, 0, count, right.count);
    count += right.count;
    right.clear(0, right.count);
    right.count = 0;
  }

  /** Moves this node's last {@code entries} entries to the front of {@code right}. */
  final void shiftToRight(int entries, ExtentTreeNode right) {
    right.copyRange(right, 0, entries, right.count);
    right.copyRange(this, count - entries, 0, entries);
    right.count += entries;
    clear(count - entries, count);
    count -= entries;
  }

  /** Moves the first {@code entries} entries of {@code right} to the end of this node. */
  final void shiftFromRight(int entries, ExtentTreeNode right) {
    copyRange(right, 0, count, entries);
    count += entries;
    right.copyRange(right, entries, 0, right.count - entries);
    right.clear(right.count - entries, right.count);
    right.count -= entries;
  }
}
