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

  /** A copy that {@code newOwner} may write, sharing whatever lies below it. */
  abstract ExtentTreeNode copyFor(Object newOwner);

  /** Moves the entries from {@code index} on into {@code right}, which is empty. */
  abstract void moveTail(int index, ExtentTreeNode right);

  /** Moves every entry of {@code right}, which follows this node, to the end of this one. */
  abstract void appendAll(ExtentTreeNode right);

  /** Moves this node's last {@code entries} entries to the front of {@code right}. */
  abstract void shiftToRight(int entries, ExtentTreeNode right);

  /** Moves the first {@code entries} entries of {@code right} to the end of this node. */
  abstract void shiftFromRight(int entries, ExtentTreeNode right);

  /** An empty node of the same kind for {@code owner}. */
  abstract ExtentTreeNode emptySibling(Object owner);
}
