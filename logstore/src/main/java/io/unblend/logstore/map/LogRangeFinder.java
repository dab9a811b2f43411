package io.unblend.logstore.map;

import java.util.Arrays;
import java.util.IdentityHashMap;

/**
 * Finds the pieces of several maps that lie in one range of log addresses, as the cleaner does for
 * the segment it empties. A map's extents are ordered by logical sector, not by address, so every
 * extent must be looked at; but snapshots and clones share the nodes they have not changed, and a
 * node shared by many maps is read once here and its findings reused. A volume with a thousand
 * snapshots then costs about one walk of its map, not a thousand.
 *
 * <p>Valid while none of the maps changes: use one finder for one pass over them, on the thread
 * that owns them, or on any thread over frozen copies ({@link ExtentMap#snapshot}) that no one
 * writes.
 */
public final class LogRangeFinder {
  private static final long[] NONE = new long[0];

  private final long firstAddress;
  private final long endAddress;

  /** Per node read: its findings as (start sector, sector count, address) triples, in order. */
  private final IdentityHashMap<ExtentTreeNode, long[]> findings = new IdentityHashMap<>();

  /** Finds pieces with log addresses in {@code [firstAddress, endAddress)}. */
  public LogRangeFinder(long firstAddress, long endAddress) {
    this.firstAddress = firstAddress;
    this.endAddress = endAddress;
  }

  /**
   * Visits, in ascending sector order, each piece of {@code map} whose log addresses lie in the
   * range, clipped to it. Allocated-zero extents hold no log address and are never visited.
   */
  public void find(ExtentMap map, ExtentVisitor visitor) {
    long[] found = findIn(map.root());
    for (int index = 0; index < found.length; index += 3) {
      visitor.visit(found[index], found[index + 1], found[index + 2]);
    }
  }

  private long[] findIn(ExtentTreeNode node) {
    long[] known = findings.get(node);
    if (known != null) {
      return known;
    }
    long[] found = node instanceof ExtentBranch branch ? findInBranch(branch) : findInLeaf(node);
    findings.put(node, found);
    return found;
  }

  private long[] findInBranch(ExtentBranch branch) {
    long[][] parts = new long[branch.count][];
    int length = 0;
    for (int index = 0; index < branch.count; index++) {
      parts[index] = findIn(branch.children[index]);
      length += parts[index].length;
    }
    if (length == 0) {
      return NONE;
    }
    long[] found = new long[length];
    int at = 0;
    for (long[] part : parts) {
      System.arraycopy(part, 0, found, at, part.length);
      at += part.length;
    }
    return found;
  }

  private long[] findInLeaf(ExtentTreeNode node) {
    ExtentLeaf leaf = (ExtentLeaf) node;
    long[] found = NONE;
    int length = 0;
    for (int index = 0; index < leaf.count; index++) {
      long address = leaf.address(index);
      long count = leaf.length(index);
      if (address == ExtentMap.ZERO || address + count <= firstAddress || address >= endAddress) {
        continue;
      }
      long from = Math.max(address, firstAddress);
      long to = Math.min(address + count, endAddress);
      if (length + 3 > found.length) {
        found = Arrays.copyOf(found, Math.max(6, 2 * found.length));
      }
      found[length++] = leaf.start(index) + (from - address);
      found[length++] = to - from;
      found[length++] = from;
    }
    return length == found.length ? found : Arrays.copyOf(found, length);
  }
}
