package io.unblend.logstore.map;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds a tree from extents given in ascending order in O(n) in total, where inserting each from
 * the root would take O(n log n): it fills leaves, then builds each level of branches over the one
 * below. Nodes are filled to {@link ExtentTreeNode#CAPACITY}, as a checkpoint's map is mostly read
 * and overwritten in place, except that the last two of a level share their entries when the last
 * would hold fewer than {@link ExtentTreeNode#MINIMUM}.
 */
final class ExtentTreeBuilder {
  private final ExtentTree tree = new ExtentTree();
  private final List<ExtentTreeNode> leaves = new ArrayList<>();
  private ExtentLeaf leaf;

  /** Adds an extent that starts after every extent added before; the caller checks that. */
  void append(long startSector, long lengthSectors, long address) {
    if (leaf == null || leaf.count == ExtentTreeNode.CAPACITY) {
      leaf = new ExtentLeaf(tree.token());
      leaves.add(leaf);
    }
    leaf.insert(leaf.count, startSector, lengthSectors, address);
  }

  /** The tree of every extent appended. */
  ExtentTree build() {
    if (leaves.isEmpty()) {
      return tree;
    }
    List<ExtentTreeNode> level = leaves;
    shareWithLast(level);
    while (level.size() > 1) {
      List<ExtentTreeNode> parents = new ArrayList<>();
      ExtentBranch branch = null;
      for (ExtentTreeNode node : level) {
        if (branch == null || branch.count == ExtentTreeNode.CAPACITY) {
          branch = new ExtentBranch(tree.token());
          parents.add(branch);
        }
        branch.insert(branch.count, node);
      }
      shareWithLast(parents);
      level = parents;
    }
    tree.plant(level.getFirst());
    return tree;
  }

  /** Evens out the last two nodes of a level when the last holds too few entries. */
  private static void shareWithLast(List<ExtentTreeNode> level) {
    if (level.size() < 2) {
      return;
    }
    ExtentTreeNode last = level.getLast();
    if (last.count >= ExtentTreeNode.MINIMUM) {
      return;
    }
    ExtentTreeNode before = level.get(level.size() - 2);
    before.shiftToRight((before.count - last.count) / 2, last);
  }
}
