package io.unblend.logstore.map;

import java.util.ArrayList;

/**
 * Builds a treap from new nodes given in ascending order in O(n) in total, where inserting each
 * from the root would take O(n log n). Each node goes onto the right edge of the tree, below the
 * last node there that outranks it; the nodes it outranks become its left subtree. Every node is
 * pushed onto and popped off the edge at most once.
 */
final class SortedTreeAssembler {
  private final ExtentTreap treap;

  /** The nodes from the root down the right edge of the tree built so far. */
  private final ArrayList<ExtentNode> rightEdge = new ArrayList<>();

  SortedTreeAssembler(ExtentTreap treap) {
    this.treap = treap;
  }

  /** Adds a new node of {@code treap} that lies after every node added before. */
  void append(ExtentNode node) {
    if (node.owner != treap
        || (!rightEdge.isEmpty() && rightEdge.getLast().endSector() > node.startSector)) {
      throw new IllegalStateException(
          "extent at sector " + node.startSector + " is not a new node after the last one");
    }
    ExtentNode outranked = null;
    while (!rightEdge.isEmpty() && treap.outranks(node, rightEdge.getLast())) {
      outranked = rightEdge.removeLast();
    }
    node.left = outranked;
    if (!rightEdge.isEmpty()) {
      rightEdge.getLast().right = node;
    }
    rightEdge.add(node);
  }

  /** The tree of every node appended; the assembler is empty afterwards. */
  ExtentNode takeRoot() {
    ExtentNode root = rightEdge.isEmpty() ? null : rightEdge.getFirst();
    rightEdge.clear();
    return root;
  }
}
