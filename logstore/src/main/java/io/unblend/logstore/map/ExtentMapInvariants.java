package io.unblend.logstore.map;

/**
 * Walks a whole map and throws {@link IllegalStateException} at the first broken invariant: the
 * extents are in order and do not overlap, adjacent ones that could be one are, every key is its
 * child's first sector, every node but the root is between {@link ExtentTreeNode#MINIMUM} and
 * {@link ExtentTreeNode#CAPACITY} entries with all leaves at one depth, the counters match, and a
 * node the map may write hangs below writable nodes only (else another map could see the write).
 */
final class ExtentMapInvariants {
  private final ExtentTree tree;
  private int leafDepth = -1;
  private boolean hasPrevious;
  private long previousStartSector;
  private long previousLengthSectors;
  private long previousAddress;
  private long extentCount;
  private long mappedSectors;

  private ExtentMapInvariants(ExtentTree tree) {
    this.tree = tree;
  }

  static void check(ExtentTree tree, long extentCount, long mappedSectors) {
    ExtentMapInvariants walk = new ExtentMapInvariants(tree);
    ExtentTreeNode root = tree.root();
    if (root instanceof ExtentBranch branch && branch.count < 2) {
      throw broken("the root branch has " + branch.count + " children");
    }
    walk.visit(root, 0, true, true);
    if (walk.extentCount != extentCount || walk.mappedSectors != mappedSectors) {
      throw broken(
          "the map counts "
              + extentCount
              + " extents and "
              + mappedSectors
              + " mapped sectors, its tree holds "
              + walk.extentCount
              + " and "
              + walk.mappedSectors);
    }
  }

  private void visit(ExtentTreeNode node, int depth, boolean isRoot, boolean parentWritable) {
    boolean writable = tree.owns(node);
    if (writable && !parentWritable) {
      throw broken("a node at depth " + depth + " is writable below a shared node");
    }
    if (node.count > ExtentTreeNode.CAPACITY || (!isRoot && node.count < ExtentTreeNode.MINIMUM)) {
      throw broken("a node at depth " + depth + " holds " + node.count + " entries");
    }
    if (node instanceof ExtentBranch branch) {
      for (int index = 0; index < branch.count; index++) {
        ExtentTreeNode child = branch.children[index];
        visit(child, depth + 1, false, writable);
        if (branch.firstSectors[index] != child.firstSector()) {
          throw broken(
              "key "
                  + branch.firstSectors[index]
                  + " at depth "
                  + depth
                  + " names a child starting at sector "
                  + child.firstSector());
        }
      }
      return;
    }
    if (leafDepth < 0) {
      leafDepth = depth;
    } else if (leafDepth != depth) {
      throw broken("leaves at depths " + leafDepth + " and " + depth);
    }
    ExtentLeaf leaf = (ExtentLeaf) node;
    for (int index = 0; index < leaf.count; index++) {
      checkExtent(leaf.start(index), leaf.length(index), leaf.address(index));
    }
  }

  private void checkExtent(long startSector, long lengthSectors, long address) {
    long endSector = startSector + lengthSectors;
    if (lengthSectors < 1
        || startSector < 0
        || address < ExtentMap.ZERO
        || endSector > ExtentWindows.windowEndSector(startSector)) {
      throw broken(
          "extent at sector "
              + startSector
              + " of "
              + lengthSectors
              + " sectors at address "
              + address
              + " is empty, negative or crosses a window");
    }
    if (endSector > ExtentMap.SECTOR_LIMIT
        || (address != ExtentMap.ZERO && address + lengthSectors > ExtentMap.SECTOR_LIMIT)) {
      throw broken("extent at sector " + startSector + " reaches past the sector limit");
    }
    if (hasPrevious) {
      long previousEndSector = previousStartSector + previousLengthSectors;
      if (previousEndSector > startSector) {
        throw broken(
            "extent at sector "
                + previousStartSector
                + " ends at sector "
                + previousEndSector
                + ", after the next one starts at "
                + startSector);
      }
      if (ExtentWindows.mergeable(
          previousEndSector, previousLengthSectors, previousAddress, startSector, address)) {
        throw broken(
            "extents at sectors "
                + previousStartSector
                + " and "
                + startSector
                + " continue each other but were not merged");
      }
    }
    hasPrevious = true;
    previousStartSector = startSector;
    previousLengthSectors = lengthSectors;
    previousAddress = address;
    extentCount++;
    mappedSectors += lengthSectors;
  }

  private static IllegalStateException broken(String what) {
    return new IllegalStateException("extent map invariant broken: " + what);
  }
}
