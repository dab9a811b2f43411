package io.unblend.logstore.map;

/**
 * Walks a whole map and throws {@link IllegalStateException} at the first broken invariant: the
 * extents are in order and do not overlap, adjacent ones that could be one are, every node outranks
 * its children, the counters match, and a node the map may write hangs below writable nodes only
 * (else another map could see the write).
 */
final class ExtentMapInvariants {
  private final ExtentTreap treap;
  private ExtentNode previous;
  private long extentCount;
  private long mappedSectors;

  private ExtentMapInvariants(ExtentTreap treap) {
    this.treap = treap;
  }

  static void check(ExtentNode root, ExtentTreap treap, long extentCount, long mappedSectors) {
    ExtentMapInvariants walk = new ExtentMapInvariants(treap);
    walk.visit(root, true);
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

  private void visit(ExtentNode node, boolean parentWritable) {
    if (node == null) {
      return;
    }
    boolean writable = node.owner == treap;
    if (writable && !parentWritable) {
      throw broken("extent at sector " + node.startSector + " is writable below a shared node");
    }
    checkRank(node, node.left);
    checkRank(node, node.right);
    visit(node.left, writable);
    checkAfterPrevious(node);
    if (node.endSector() > ExtentMap.SECTOR_LIMIT
        || (node.address != ExtentMap.ZERO
            && node.address + node.lengthSectors() > ExtentMap.SECTOR_LIMIT)) {
      throw broken("extent at sector " + node.startSector + " reaches past the sector limit");
    }
    previous = node;
    extentCount++;
    mappedSectors += node.lengthSectors();
    visit(node.right, writable);
  }

  private void checkRank(ExtentNode parent, ExtentNode child) {
    if (child != null && treap.outranks(child, parent)) {
      throw broken(
          "extent at sector "
              + child.startSector
              + " outranks its parent at sector "
              + parent.startSector);
    }
  }

  private void checkAfterPrevious(ExtentNode node) {
    if (previous == null) {
      return;
    }
    if (previous.endSector() > node.startSector) {
      throw broken(
          "extent at sector "
              + previous.startSector
              + " ends at sector "
              + previous.endSector()
              + ", after the next one starts at "
              + node.startSector);
    }
    if (ExtentNode.mergeable(
        previous.endSector(),
        previous.lengthSectors(),
        previous.address,
        node.startSector,
        node.address)) {
      throw broken(
          "extents at sectors "
              + previous.startSector
              + " and "
              + node.startSector
              + " continue each other but were not merged");
    }
  }

  private static IllegalStateException broken(String what) {
    return new IllegalStateException("extent map invariant broken: " + what);
  }
}
