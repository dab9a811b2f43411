package io.unblend.logstore.map;

/**
 * One map version's B-tree: its root, the descent to a leaf, and the splitting, borrowing and
 * merging that keep every node other than the root between {@link ExtentTreeNode#MINIMUM} and
 * {@link ExtentTreeNode#CAPACITY} entries with all leaves at one depth, with the version's
 * ownership token.
 *
 * <p>A node whose {@code owner} is this tree may be written in place; any other node is copied
 * first ({@link #own}), and so is the path above it, because each parent then changes too. A
 * snapshot retires the token of the map it was taken from ({@link #successor}): from then on no one
 * may write the nodes that existed, so both maps copy what they change and neither sees the other's
 * writes. An owned node always hangs below owned nodes only, which is why writing it in place
 * cannot be seen through another map.
 *
 * <p>Not thread-safe: it also holds the path of the last descent.
 */
final class ExtentTree {
  /** Deeper than any tree can grow: a node has at least 16 children, and 16^15 = 2^60. */
  private static final int DEPTH_MAX = 16;

  /** What {@link #nextLeafSector} reports when the last descent ended in the last leaf. */
  static final long NO_NEXT_LEAF = -1;

  private final Object token = new Object();
  private ExtentTreeNode root;
  // The path of the last writable descent; allocated by the first, as most snapshots never write.
  private ExtentBranch[] pathBranches;
  private int[] pathIndexes;
  private int pathDepth;
  private long nextLeafSector = NO_NEXT_LEAF;

  ExtentTree() {
    this.root = new ExtentLeaf(token);
  }

  private ExtentTree(ExtentTreeNode root) {
    this.root = root;
  }

  /** Makes {@code root}, whose nodes {@link ExtentTreeBuilder} made for this tree, the root. */
  void plant(ExtentTreeNode root) {
    this.root = root;
  }

  /** A new token for the same tree, so that the nodes written under this one become shared. */
  ExtentTree successor() {
    return new ExtentTree(root);
  }

  /** Whether this version may write {@code node} in place. */
  boolean owns(ExtentTreeNode node) {
    return node.owner == token;
  }

  /** The token that nodes made for this version carry, for {@link ExtentTreeBuilder}. */
  Object token() {
    return token;
  }

  ExtentTreeNode root() {
    return root;
  }

  /** {@code node} itself if this version may write it, else a copy that it may. */
  private ExtentTreeNode own(ExtentTreeNode node) {
    return node.owner == token ? node : node.copyFor(token);
  }

  /**
   * The leaf holding the last extent that starts at or before {@code sector} (else the first leaf),
   * without writing anything; {@link #nextLeafSector} then tells where the next leaf starts.
   */
  ExtentLeaf leafAt(long sector) {
    long next = NO_NEXT_LEAF;
    ExtentTreeNode node = root;
    while (node instanceof ExtentBranch branch) {
      int index = branch.childFor(sector);
      if (index + 1 < branch.count) {
        next = branch.firstSectors[index + 1];
      }
      node = branch.children[index];
    }
    nextLeafSector = next;
    return (ExtentLeaf) node;
  }

  /**
   * As {@link #leafAt}, but the leaf and the path to it belong to this version, so the caller may
   * change the leaf and then call {@link #leafChanged}.
   */
  ExtentLeaf writableLeafAt(long sector) {
    if (pathBranches == null) {
      pathBranches = new ExtentBranch[DEPTH_MAX];
      pathIndexes = new int[DEPTH_MAX];
    }
    long next = NO_NEXT_LEAF;
    root = own(root);
    ExtentTreeNode node = root;
    pathDepth = 0;
    while (node instanceof ExtentBranch branch) {
      int index = branch.childFor(sector);
      if (index + 1 < branch.count) {
        next = branch.firstSectors[index + 1];
      }
      ExtentTreeNode child = own(branch.children[index]);
      branch.children[index] = child;
      pathBranches[pathDepth] = branch;
      pathIndexes[pathDepth] = index;
      pathDepth++;
      node = child;
    }
    nextLeafSector = next;
    return (ExtentLeaf) node;
  }

  /** The first sector of the leaf after the last descent's, or {@link #NO_NEXT_LEAF}. */
  long nextLeafSector() {
    return nextLeafSector;
  }

  /**
   * Restores the tree's shape after the leaf of the last {@link #writableLeafAt} gained at most one
   * extent or lost any number: splits what overflows, borrows for or merges what underflows, and
   * updates the keys on the path.
   */
  void leafChanged() {
    ExtentTreeNode node =
        pathDepth == 0 ? root : pathBranches[pathDepth - 1].children[pathIndexes[pathDepth - 1]];
    for (int level = pathDepth - 1; level >= 0; level--) {
      ExtentBranch parent = pathBranches[level];
      int index = pathIndexes[level];
      if (node.count > ExtentTreeNode.CAPACITY) {
        split(parent, index, node);
      } else if (node.count < ExtentTreeNode.MINIMUM) {
        rebalance(parent, index);
      } else {
        parent.firstSectors[index] = node.firstSector();
      }
      pathBranches[level] = null;
      node = parent;
    }
    pathDepth = 0;
    if (root.count > ExtentTreeNode.CAPACITY) {
      ExtentBranch newRoot = new ExtentBranch(token);
      newRoot.insert(0, root);
      split(newRoot, 0, root);
      root = newRoot;
    }
    while (root instanceof ExtentBranch branch && branch.count == 1) {
      root = branch.children[0];
    }
  }

  /** Splits the full child {@code index} of {@code parent} in two halves. */
  private void split(ExtentBranch parent, int index, ExtentTreeNode node) {
    ExtentTreeNode right = node.emptySibling(token);
    node.moveTail(node.count / 2, right);
    parent.set(index, node);
    parent.insert(index + 1, right);
  }

  /**
   * Gives child {@code index} of {@code parent}, which has too few entries, some of a neighbour's,
   * or merges the two when they fit in one node.
   */
  private void rebalance(ExtentBranch parent, int index) {
    int leftIndex = index > 0 ? index - 1 : index;
    ExtentTreeNode left = own(parent.children[leftIndex]);
    ExtentTreeNode right = own(parent.children[leftIndex + 1]);
    int total = left.count + right.count;
    if (total <= ExtentTreeNode.CAPACITY) {
      left.appendAll(right);
      parent.remove(leftIndex + 1);
      parent.set(leftIndex, left);
      return;
    }
    int leftTarget = total / 2;
    if (left.count > leftTarget) {
      left.shiftToRight(left.count - leftTarget, right);
    } else {
      left.shiftFromRight(leftTarget - left.count, right);
    }
    parent.set(leftIndex, left);
    parent.set(leftIndex + 1, right);
  }
}
