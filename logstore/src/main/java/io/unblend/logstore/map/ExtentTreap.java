package io.unblend.logstore.map;

/**
 * The tree operations of one map version, copying the path to every node they change; the instance
 * is also that version's ownership token.
 *
 * <p>The tree is a treap: its nodes are in ascending {@code startSector} order, and every node
 * outranks its children, where the rank is a bijective hash of the start sector mixed with a random
 * per-volume seed. That keeps the expected depth logarithmic whatever order the guest writes in,
 * and a guest cannot aim for a degenerate tree without knowing the seed. Nothing but the start
 * sector decides a node's place, so no rank field is stored and a node whose end moves stays where
 * it is.
 *
 * <p>A node whose {@code owner} is this treap may be written in place; any other node is copied
 * first ({@link #own}), which copies the path from the root because each parent then changes too. A
 * snapshot retires the token of the map it was taken from ({@link #successor}): from then on no one
 * may write the nodes that existed, so both maps copy what they change and neither sees the other's
 * writes. An owned node always hangs below owned nodes only, which is why writing it in place
 * cannot be seen through another map.
 *
 * <p>Not thread-safe: it also holds the result of the last {@link #split}.
 */
final class ExtentTreap {
  private final long prioritySeed;
  private ExtentNode splitLower;
  private ExtentNode splitUpper;

  ExtentTreap(long prioritySeed) {
    this.prioritySeed = prioritySeed;
  }

  /** A new token for the same tree, so that the nodes written under this one become shared. */
  ExtentTreap successor() {
    return new ExtentTreap(prioritySeed);
  }

  ExtentNode newNode(long startSector, long lengthSectors, long address) {
    return new ExtentNode(startSector, lengthSectors, address, this, null, null);
  }

  /** Whether {@code node} belongs above {@code other} in the heap order. */
  boolean outranks(ExtentNode node, ExtentNode other) {
    return rank(node) > rank(other);
  }

  /** Distinct start sectors have distinct ranks, because the murmur3 finaliser is a bijection. */
  private long rank(ExtentNode node) {
    long mixed = node.startSector ^ prioritySeed;
    mixed = (mixed ^ (mixed >>> 33)) * 0xff51afd7ed558ccdL;
    mixed = (mixed ^ (mixed >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return mixed ^ (mixed >>> 33);
  }

  /** {@code node} itself if this version may write it, else a copy that it may. */
  ExtentNode own(ExtentNode node) {
    return node.owner == this ? node : node.copyFor(this);
  }

  /**
   * Splits the tree into the extents that start below {@code sector} and those that start at or
   * above it, for {@link #takeLower} and {@link #takeUpper}. The last lower extent may reach past
   * {@code sector}; the caller clips it. Both results have owned right and left spines
   * respectively.
   */
  void split(ExtentNode root, long sector) {
    ExtentNode lowerRoot = null;
    ExtentNode lowerLast = null;
    ExtentNode upperRoot = null;
    ExtentNode upperFirst = null;
    ExtentNode node = root;
    // Walks down once; every node passed hangs below the previous node passed on the same side.
    while (node != null) {
      ExtentNode owned = own(node);
      if (owned.startSector < sector) {
        if (lowerLast == null) {
          lowerRoot = owned;
        } else {
          lowerLast.right = owned;
        }
        lowerLast = owned;
        node = owned.right;
      } else {
        if (upperFirst == null) {
          upperRoot = owned;
        } else {
          upperFirst.left = owned;
        }
        upperFirst = owned;
        node = owned.left;
      }
    }
    if (lowerLast != null) {
      lowerLast.right = null;
    }
    if (upperFirst != null) {
      upperFirst.left = null;
    }
    splitLower = lowerRoot;
    splitUpper = upperRoot;
  }

  /** The lower tree of the last split; forgotten here so that it is not kept alive. */
  ExtentNode takeLower() {
    ExtentNode lower = splitLower;
    splitLower = null;
    return lower;
  }

  /** The upper tree of the last split; forgotten here so that it is not kept alive. */
  ExtentNode takeUpper() {
    ExtentNode upper = splitUpper;
    splitUpper = null;
    return upper;
  }

  /**
   * One tree from two, where every extent of {@code lower} lies before every one of {@code upper}.
   */
  ExtentNode join(ExtentNode lower, ExtentNode upper) {
    if (lower == null) {
      return upper;
    }
    if (upper == null) {
      return lower;
    }
    if (outranks(lower, upper)) {
      ExtentNode owned = own(lower);
      owned.right = join(owned.right, upper);
      return owned;
    }
    ExtentNode owned = own(upper);
    owned.left = join(lower, owned.left);
    return owned;
  }

  /** Adds a new node that lies after every extent of the tree. */
  ExtentNode appendMax(ExtentNode root, ExtentNode node) {
    checkNew(node);
    if (root == null || outranks(node, root)) {
      node.left = root;
      return node;
    }
    ExtentNode owned = own(root);
    owned.right = appendMax(owned.right, node);
    return owned;
  }

  /** Adds a new node that lies before every extent of the tree. */
  ExtentNode prependMin(ExtentNode root, ExtentNode node) {
    checkNew(node);
    if (root == null || outranks(node, root)) {
      node.right = root;
      return node;
    }
    ExtentNode owned = own(root);
    owned.left = prependMin(owned.left, node);
    return owned;
  }

  /** The tree without its first extent; {@code root} is not null. */
  ExtentNode removeMin(ExtentNode root) {
    if (root.left == null) {
      return root.right;
    }
    ExtentNode owned = own(root);
    owned.left = removeMin(owned.left);
    return owned;
  }

  /** The tree with its last extent resized to {@code lengthSectors}; {@code root} is not null. */
  ExtentNode resizeMax(ExtentNode root, long lengthSectors) {
    ExtentNode owned = own(root);
    if (owned.right == null) {
      owned.resize(lengthSectors);
    } else {
      owned.right = resizeMax(owned.right, lengthSectors);
    }
    return owned;
  }

  static ExtentNode min(ExtentNode root) {
    ExtentNode node = root;
    while (node != null && node.left != null) {
      node = node.left;
    }
    return node;
  }

  static ExtentNode max(ExtentNode root) {
    ExtentNode node = root;
    while (node != null && node.right != null) {
      node = node.right;
    }
    return node;
  }

  private void checkNew(ExtentNode node) {
    if (node.owner != this || node.left != null || node.right != null) {
      throw new IllegalStateException(
          "extent at sector " + node.startSector + " is not a new node of this map version");
    }
  }
}
