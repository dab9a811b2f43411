package io.unblend.logstore.map;

/**
 * A volume's map from logical 512-byte sectors to log addresses (also in 512-byte sectors), kept as
 * extents: one entry per run of sectors whose log addresses continue, or that are all
 * allocated-zero. Unmapped sectors are holes.
 *
 * <p><b>Shape.</b> The extents lie in the leaves of a copy-on-write B-tree ({@link ExtentTree}) of
 * up to 64 extents per leaf, stored as parallel arrays: 20 bytes per extent in a full leaf, about
 * 30 under random writes (leaves about two-thirds full), where a tree of one object per extent took
 * 40–48. A lookup reads a few wide nodes instead of some 30 scattered ones, which is what a random
 * write into a large map spends its time on. See ADR 0010.
 *
 * <p><b>Canonical extents.</b> Adjacent extents whose addresses continue are merged, so sequential
 * writes build one extent, except that no extent crosses a multiple of {@link
 * ExtentWindows#WINDOW_SECTORS} (512 GiB), which keeps lengths in an int. The extents therefore
 * depend only on what each sector maps to, never on the order of the writes.
 *
 * <p><b>Cost.</b> With n extents: {@link #put} and {@link #remove} take O(log n + k) for k extents
 * replaced, {@link #forEach} O(log n) per leaf visited, {@link #forEachExtent} O(n), {@link
 * #snapshot} O(1), and the {@link Builder} O(n) in total. The first write after a snapshot copies
 * the O(log n) nodes on its path, a leaf of up to 64 extents among them.
 *
 * <p><b>Threads.</b> A map belongs to one thread at a time (the storage thread); there is no
 * locking, and even reading a map uses state of its own. A snapshot may be handed to another thread
 * (the checkpointer) and read there while the original keeps changing on its own thread, because
 * the nodes they share are never written again. Hand it over through something that orders memory
 * (a concurrent queue, an executor), and from then on leave the snapshot to that thread: {@link
 * #snapshot} itself writes to the map it is called on.
 */
public final class ExtentMap {
  /** The address of an allocated-zero extent, written by WRITE_ZEROES without punching a hole. */
  public static final long ZERO = -1;

  /** The address {@link #forEach} reports for sectors that are not mapped. */
  public static final long HOLE = -2;

  /** Every sector and log address lies below 2^54, so that its byte offset fits in a long. */
  public static final long SECTOR_LIMIT = 1L << 54;

  private ExtentTree tree;
  private long extentCount;
  private long mappedSectors;

  /** An empty map: every sector is a hole. */
  public ExtentMap() {
    this(new ExtentTree(), 0, 0);
  }

  private ExtentMap(ExtentTree tree, long extentCount, long mappedSectors) {
    this.tree = tree;
    this.extentCount = extentCount;
    this.mappedSectors = mappedSectors;
  }

  /**
   * A map with the same content that shares every node with this one. Both get new ownership
   * tokens, so neither may write a node they share: afterwards each can change without the other
   * seeing it.
   */
  public ExtentMap snapshot() {
    ExtentMap snapshot = new ExtentMap(tree.successor(), extentCount, mappedSectors);
    tree = tree.successor();
    return snapshot;
  }

  /**
   * Maps {@code [startSector, startSector + sectorCount)} to {@code address..address +
   * sectorCount}, or every sector to {@link #ZERO}, replacing what was there. Every replaced piece,
   * clipped to the range, goes to {@code removed} in ascending sector order, allocated-zero pieces
   * with address {@link #ZERO}, so the caller can keep live space per log segment exactly. {@code
   * removed} must neither use this map nor throw: the map is mid-change when it is called.
   */
  public void put(long startSector, long sectorCount, long address, ExtentConsumer removed) {
    checkRange(startSector, sectorCount);
    checkAddress(address, sectorCount);
    if (sectorCount == 0) {
      return;
    }
    long endSector = startSector + sectorCount;
    carve(startSector, endSector, removed);
    ExtentLeaf leaf = tree.writableLeafAt(startSector);
    int previous = leaf.lastStartingBefore(startSector);
    long pieceEndSector;
    long position;
    if (previous + 1 < leaf.count || tree.nextLeafSector() == ExtentTree.NO_NEXT_LEAF) {
      // The extents on either side of the range are both in this leaf (or absent): one descent.
      pieceEndSector = absorbNextIn(leaf, previous + 1, endSector, sectorCount, address);
      position = growPreviousIn(leaf, previous, startSector, pieceEndSector, address);
      if (position < pieceEndSector) {
        position = insertPiece(leaf, previous + 1, position, pieceEndSector, startSector, address);
      }
      tree.leafChanged();
    } else {
      // The successor starts the next leaf: a descent for it, another for the predecessor.
      pieceEndSector = absorbNext(endSector, sectorCount, address);
      leaf = tree.writableLeafAt(startSector);
      position =
          growPreviousIn(
              leaf, leaf.lastStartingBefore(startSector), startSector, pieceEndSector, address);
    }
    while (position < pieceEndSector) {
      leaf = tree.writableLeafAt(position);
      position =
          insertPiece(
              leaf,
              leaf.lastStartingBefore(position) + 1,
              position,
              pieceEndSector,
              startSector,
              address);
      tree.leafChanged();
    }
    mappedSectors += sectorCount;
    checkCounters();
  }

  /**
   * Inserts at {@code index} of a writable leaf the piece of the run mapped from {@code
   * startSector} to {@code address} that starts at {@code position} and ends at {@code
   * pieceEndSector} or at its window's end, whichever comes first; returns where the piece ends.
   */
  private long insertPiece(
      ExtentLeaf leaf,
      int index,
      long position,
      long pieceEndSector,
      long startSector,
      long address) {
    long chunkEndSector = Math.min(pieceEndSector, ExtentWindows.windowEndSector(position));
    leaf.insert(
        index,
        position,
        chunkEndSector - position,
        ExtentAddresses.advance(address, position - startSector));
    extentCount++;
    return chunkEndSector;
  }

  /**
   * Unmaps {@code [startSector, startSector + sectorCount)}, leaving a hole as TRIM does, and
   * reports every removed piece as {@link #put} does.
   */
  public void remove(long startSector, long sectorCount, ExtentConsumer removed) {
    checkRange(startSector, sectorCount);
    if (sectorCount == 0) {
      return;
    }
    carve(startSector, startSector + sectorCount, removed);
    checkCounters();
  }

  /**
   * Takes {@code [startSector, endSector)} out of the map, one leaf at a time, and reports each
   * piece it held; an extent reaching past either end keeps its part outside.
   */
  private void carve(long startSector, long endSector, ExtentConsumer removed) {
    while (true) {
      ExtentLeaf leaf = tree.writableLeafAt(startSector);
      int index = leaf.firstEndingAfter(startSector);
      if (index == leaf.count) {
        long nextLeafSector = tree.nextLeafSector();
        if (nextLeafSector == ExtentTree.NO_NEXT_LEAF || nextLeafSector >= endSector) {
          return;
        }
        leaf = tree.writableLeafAt(nextLeafSector);
        index = 0;
      }
      if (leaf.start(index) >= endSector) {
        return;
      }
      if (leaf.start(index) < startSector) {
        long straddlerEndSector = leaf.end(index);
        report(
            removed,
            leaf.addressAt(index, startSector),
            Math.min(straddlerEndSector, endSector) - startSector);
        if (straddlerEndSector > endSector) {
          long tailAddress = leaf.addressAt(index, endSector);
          leaf.resize(index, startSector - leaf.start(index));
          leaf.insert(index + 1, endSector, straddlerEndSector - endSector, tailAddress);
          extentCount++;
          tree.leafChanged();
          return;
        }
        leaf.resize(index, startSector - leaf.start(index));
        index++;
      }
      int last = index;
      while (last < leaf.count && leaf.end(last) <= endSector) {
        report(removed, leaf.address(last), leaf.length(last));
        extentCount--;
        last++;
      }
      boolean rangeEndsHere = last < leaf.count;
      if (rangeEndsHere && leaf.start(last) < endSector) {
        report(removed, leaf.address(last), endSector - leaf.start(last));
        leaf.clipFront(last, endSector);
      }
      leaf.remove(index, last);
      tree.leafChanged();
      if (rangeEndsHere) {
        return;
      }
    }
  }

  /**
   * Merges the extent starting at {@code endSector}, if it continues the new run, into the run:
   * removes it and returns where the run now ends.
   */
  private long absorbNext(long endSector, long sectorCount, long address) {
    ExtentLeaf leaf = tree.writableLeafAt(endSector);
    long pieceEndSector =
        absorbNextIn(leaf, leaf.lastStartingBefore(endSector + 1), endSector, sectorCount, address);
    tree.leafChanged();
    return pieceEndSector;
  }

  /** As {@link #absorbNext}, for a successor at {@code index} of a leaf already writable. */
  private long absorbNextIn(
      ExtentLeaf leaf, int index, long endSector, long sectorCount, long address) {
    if (index < 0
        || index >= leaf.count
        || leaf.start(index) != endSector
        || !ExtentWindows.mergeable(
            endSector, sectorCount, address, endSector, leaf.address(index))) {
      return endSector;
    }
    long nextEndSector = leaf.end(index);
    leaf.remove(index, index + 1);
    extentCount--;
    return nextEndSector;
  }

  /**
   * Grows the extent at {@code index} of a writable leaf, the last one starting before {@code
   * startSector} (none: -1), over as much of the new run as its window allows if the run continues
   * it, and returns where the rest of the run starts.
   */
  private static long growPreviousIn(
      ExtentLeaf leaf, int index, long startSector, long pieceEndSector, long address) {
    if (index < 0
        || !ExtentWindows.mergeable(
            leaf.end(index), leaf.length(index), leaf.address(index), startSector, address)) {
      return startSector;
    }
    long previousStartSector = leaf.start(index);
    long grownEndSector =
        Math.min(pieceEndSector, ExtentWindows.windowEndSector(previousStartSector));
    // Growing the previous extent in place is what keeps sequential writes free of allocation.
    leaf.resize(index, grownEndSector - previousStartSector);
    return grownEndSector;
  }

  private void report(ExtentConsumer removed, long address, long sectorCount) {
    mappedSectors -= sectorCount;
    removed.accept(address, sectorCount);
  }

  /**
   * Visits {@code [startSector, startSector + sectorCount)} in ascending order as contiguous pieces
   * clipped to the range: mapped pieces with the address of their first sector, allocated zeroes
   * with {@link #ZERO}, unmapped gaps with {@link #HOLE}. Pieces follow the extents, so two
   * adjacent pieces may continue each other where an extent ends at a window boundary. The visitor
   * must not change this map.
   */
  public void forEach(long startSector, long sectorCount, ExtentVisitor visitor) {
    checkRange(startSector, sectorCount);
    long endSector = startSector + sectorCount;
    long position = startSector;
    while (position < endSector) {
      ExtentLeaf leaf = tree.leafAt(position);
      long nextLeafSector = tree.nextLeafSector();
      int index = leaf.firstEndingAfter(position);
      while (index < leaf.count && position < endSector) {
        long extentStartSector = leaf.start(index);
        if (extentStartSector >= endSector) {
          break;
        }
        if (extentStartSector > position) {
          visitor.visit(position, extentStartSector - position, HOLE);
          position = extentStartSector;
        }
        long pieceEndSector = Math.min(leaf.end(index), endSector);
        visitor.visit(position, pieceEndSector - position, leaf.addressAt(index, position));
        position = pieceEndSector;
        index++;
      }
      if (position >= endSector) {
        return;
      }
      long holeEndSector =
          index < leaf.count || nextLeafSector == ExtentTree.NO_NEXT_LEAF
              ? endSector
              : Math.min(nextLeafSector, endSector);
      if (holeEndSector > position) {
        visitor.visit(position, holeEndSector - position, HOLE);
        position = holeEndSector;
      }
    }
  }

  /** Visits every extent in ascending order, for checkpoints and for deleting a volume. */
  public void forEachExtent(ExtentVisitor visitor) {
    visitInOrder(tree.root(), visitor);
  }

  private static void visitInOrder(ExtentTreeNode node, ExtentVisitor visitor) {
    if (node instanceof ExtentBranch branch) {
      for (int index = 0; index < branch.count; index++) {
        visitInOrder(branch.children[index], visitor);
      }
      return;
    }
    ExtentLeaf leaf = (ExtentLeaf) node;
    for (int index = 0; index < leaf.count; index++) {
      visitor.visit(leaf.start(index), leaf.length(index), leaf.address(index));
    }
  }

  /** The root of the map's tree, for {@link LogRangeFinder}. */
  ExtentTreeNode root() {
    return tree.root();
  }

  public long extentCount() {
    return extentCount;
  }

  /** How many sectors are mapped, to data or to {@link #ZERO}. */
  public long mappedSectors() {
    return mappedSectors;
  }

  /** Walks the whole tree in O(n); a malformed map is a bug and throws IllegalStateException. */
  void checkInvariants() {
    ExtentMapInvariants.check(tree, extentCount, mappedSectors);
  }

  /** The cheap part of {@link #checkInvariants}, checked after every change. */
  private void checkCounters() {
    if (extentCount < 0
        || mappedSectors < extentCount
        || (tree.root().count == 0) != (extentCount == 0)) {
      throw new IllegalStateException(
          "extent map counters broken: extentCount "
              + extentCount
              + ", mappedSectors "
              + mappedSectors
              + ", empty tree "
              + (tree.root().count == 0));
    }
  }

  private static void checkRange(long startSector, long sectorCount) {
    if (startSector < 0
        || sectorCount < 0
        || startSector > SECTOR_LIMIT
        || sectorCount > SECTOR_LIMIT - startSector) {
      throw new IllegalArgumentException(
          "sector range must lie in [0, 2^54): startSector "
              + startSector
              + ", sectorCount "
              + sectorCount);
    }
  }

  private static void checkAddress(long address, long sectorCount) {
    if (address == ZERO) {
      return;
    }
    if (address < 0 || address > SECTOR_LIMIT || sectorCount > SECTOR_LIMIT - address) {
      throw new IllegalArgumentException(
          "address must be ZERO or a log range in [0, 2^54): address "
              + address
              + ", sectorCount "
              + sectorCount);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a map from extents given in ascending order in O(n) in total, as recovery does from a
   * checkpoint. Adjacent extents whose addresses continue are merged, as {@link #put} would have.
   * The finished tree is checked in full before it is handed out.
   */
  public static final class Builder {
    private final ExtentTreeBuilder tree = new ExtentTreeBuilder();
    private long pendingStartSector;
    private long pendingEndSector;
    private long pendingAddress;
    private boolean pending;
    private long extentCount;
    private long mappedSectors;
    private boolean built;

    private Builder() {}

    /**
     * Appends {@code [startSector, startSector + sectorCount)} at {@code address} (or {@link
     * #ZERO}).
     *
     * @throws IllegalArgumentException if the extent is empty, out of range, or starts before the
     *     end of the previous one
     */
    public Builder add(long startSector, long sectorCount, long address) {
      checkNotBuilt();
      checkRange(startSector, sectorCount);
      checkAddress(address, sectorCount);
      if (sectorCount == 0) {
        throw new IllegalArgumentException("empty extent at sector " + startSector);
      }
      if (pending && startSector < pendingEndSector) {
        throw new IllegalArgumentException(
            "extent at sector "
                + startSector
                + " starts before the previous extent ends at sector "
                + pendingEndSector);
      }
      long endSector = startSector + sectorCount;
      if (pending
          && pendingEndSector == startSector
          && ExtentAddresses.continues(
              pendingAddress, pendingEndSector - pendingStartSector, address)) {
        pendingEndSector = endSector;
        return this;
      }
      flushPending();
      pendingStartSector = startSector;
      pendingEndSector = endSector;
      pendingAddress = address;
      pending = true;
      return this;
    }

    /** The map of every extent added; checks the whole tree first, as recovery should. */
    public ExtentMap build() {
      checkNotBuilt();
      flushPending();
      built = true;
      ExtentMap map = new ExtentMap(tree.build(), extentCount, mappedSectors);
      map.checkInvariants();
      return map;
    }

    private void checkNotBuilt() {
      if (built) {
        throw new IllegalStateException("this builder has already built its map");
      }
    }

    /** Adds the pending run as one extent per window it touches. */
    private void flushPending() {
      if (!pending) {
        return;
      }
      long position = pendingStartSector;
      while (position < pendingEndSector) {
        long chunkEndSector = Math.min(pendingEndSector, ExtentWindows.windowEndSector(position));
        long chunkAddress = ExtentAddresses.advance(pendingAddress, position - pendingStartSector);
        tree.append(position, chunkEndSector - position, chunkAddress);
        extentCount++;
        position = chunkEndSector;
      }
      mappedSectors += pendingEndSector - pendingStartSector;
      pending = false;
    }
  }
}
