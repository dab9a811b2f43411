package io.unblend.logstore.map;

import java.security.SecureRandom;

/**
 * A volume's map from logical 512-byte sectors to log addresses (also in 512-byte sectors), kept as
 * extents: one entry per run of sectors whose log addresses continue, or that are all
 * allocated-zero. Unmapped sectors are holes.
 *
 * <p><b>Shape.</b> The extents are the nodes of a treap (see {@link ExtentTreap}) that is split and
 * joined for every range operation, with one node of 48 bytes per extent. A B-tree with array
 * leaves would take about half of that per extent when its leaves are full, but needs splitting,
 * borrowing and merging of leaves, and copies a whole leaf on the first write after a snapshot; a
 * treap needs no rebalancing code at all, which matters more here than the memory: 48 bytes is
 * within the 64-byte budget, and a volume of 10<sup>6</sup> extents costs 48 MB.
 *
 * <p><b>Canonical extents.</b> Adjacent extents whose addresses continue are merged, so sequential
 * writes build one extent, except that no extent crosses a multiple of {@link
 * ExtentNode#WINDOW_SECTORS} (512 GiB), which keeps lengths in an int. The extents therefore depend
 * only on what each sector maps to, never on the order of the writes.
 *
 * <p><b>Cost.</b> With n extents: {@link #put} and {@link #remove} take expected O(log n + k) for k
 * extents replaced, {@link #forEach} O(log n) per piece visited, {@link #forEachExtent} O(n),
 * {@link #snapshot} O(1), and the {@link Builder} O(n) in total. The first write after a snapshot
 * copies the O(log n) nodes on its path. A random 4 KiB put into a map of 10<sup>6</sup> extents
 * took about 3 µs here (bench {@code ExtentMapMemory}), mostly cache misses down a path of some 30
 * nodes; if that ever matters, a B-tree's few wide nodes are the way to fewer misses.
 *
 * <p><b>Threads.</b> A map belongs to one thread at a time (the storage thread); there is no
 * locking. A snapshot may be handed to another thread (the checkpointer) and read there while the
 * original keeps changing on its own thread, because the nodes they share are never written again.
 * Hand it over through something that orders memory (a concurrent queue, an executor), and from
 * then on leave the snapshot to that thread: {@link #snapshot} itself writes to the map it is
 * called on.
 */
public final class ExtentMap {
  /** The address of an allocated-zero extent, written by WRITE_ZEROES without punching a hole. */
  public static final long ZERO = -1;

  /** The address {@link #forEach} reports for sectors that are not mapped. */
  public static final long HOLE = -2;

  /** Every sector and log address lies below 2^54, so that its byte offset fits in a long. */
  public static final long SECTOR_LIMIT = 1L << 54;

  private static final SecureRandom PRIORITY_SEEDS = new SecureRandom();

  private ExtentNode root;
  private ExtentTreap treap;
  private long extentCount;
  private long mappedSectors;

  /** An empty map: every sector is a hole. */
  public ExtentMap() {
    this(null, newTreap(), 0, 0);
  }

  private ExtentMap(ExtentNode root, ExtentTreap treap, long extentCount, long mappedSectors) {
    this.root = root;
    this.treap = treap;
    this.extentCount = extentCount;
    this.mappedSectors = mappedSectors;
  }

  private static ExtentTreap newTreap() {
    return new ExtentTreap(PRIORITY_SEEDS.nextLong());
  }

  /**
   * A map with the same content that shares every node with this one. Both get new ownership
   * tokens, so neither may write a node they share: afterwards each can change without the other
   * seeing it.
   */
  public ExtentMap snapshot() {
    ExtentMap snapshot = new ExtentMap(root, treap.successor(), extentCount, mappedSectors);
    treap = treap.successor();
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
    ExtentNode upper = carve(startSector, endSector, removed);
    ExtentNode lower = root;
    long pieceEndSector = endSector;
    ExtentNode next = ExtentTreap.min(upper);
    if (next != null
        && ExtentNode.mergeable(endSector, sectorCount, address, next.startSector, next.address)) {
      upper = treap.removeMin(upper);
      pieceEndSector = next.endSector();
      extentCount--;
    }
    long position = startSector;
    ExtentNode previous = ExtentTreap.max(lower);
    if (previous != null
        && ExtentNode.mergeable(
            previous.endSector(),
            previous.lengthSectors(),
            previous.address,
            startSector,
            address)) {
      // Growing the previous extent in place is what keeps sequential writes free of allocation.
      long grownEndSector =
          Math.min(pieceEndSector, ExtentNode.windowEndSector(previous.startSector));
      lower = treap.resizeMax(lower, grownEndSector - previous.startSector);
      position = grownEndSector;
    }
    while (position < pieceEndSector) {
      long chunkEndSector = Math.min(pieceEndSector, ExtentNode.windowEndSector(position));
      long chunkAddress = ExtentAddresses.advance(address, position - startSector);
      lower =
          treap.appendMax(lower, treap.newNode(position, chunkEndSector - position, chunkAddress));
      extentCount++;
      position = chunkEndSector;
    }
    root = treap.join(lower, upper);
    mappedSectors += sectorCount;
    checkCounters();
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
    ExtentNode upper = carve(startSector, startSector + sectorCount, removed);
    root = treap.join(root, upper);
    checkCounters();
  }

  /**
   * Takes {@code [startSector, endSector)} out of the tree and reports each piece it held. Leaves
   * the extents below the range in {@link #root} and returns those above it, so that the caller
   * joins the two with or without a new extent between them.
   */
  private ExtentNode carve(long startSector, long endSector, ExtentConsumer removed) {
    treap.split(root, startSector);
    ExtentNode lower = treap.takeLower();
    ExtentNode middle = treap.takeUpper();
    ExtentNode straddler = ExtentTreap.max(lower);
    if (straddler != null && straddler.endSector() > startSector) {
      long straddlerEndSector = straddler.endSector();
      report(
          removed,
          straddler.addressAt(startSector),
          Math.min(straddlerEndSector, endSector) - startSector);
      if (straddlerEndSector > endSector) {
        ExtentNode tail =
            treap.newNode(
                endSector, straddlerEndSector - endSector, straddler.addressAt(endSector));
        middle = treap.prependMin(middle, tail);
        extentCount++;
      }
      lower = treap.resizeMax(lower, startSector - straddler.startSector);
    }
    treap.split(middle, endSector);
    ExtentNode replaced = treap.takeLower();
    ExtentNode upper = treap.takeUpper();
    ExtentNode last = ExtentTreap.max(replaced);
    if (last != null && last.endSector() > endSector) {
      ExtentNode tail =
          treap.newNode(endSector, last.endSector() - endSector, last.addressAt(endSector));
      upper = treap.prependMin(upper, tail);
      extentCount++;
    }
    forget(replaced, endSector, removed);
    root = lower;
    return upper;
  }

  /** Reports the extents of a subtree taken out of the map, clipped to {@code endSector}. */
  private void forget(ExtentNode node, long endSector, ExtentConsumer removed) {
    if (node == null) {
      return;
    }
    forget(node.left, endSector, removed);
    report(removed, node.address, Math.min(node.endSector(), endSector) - node.startSector);
    extentCount--;
    forget(node.right, endSector, removed);
  }

  private void report(ExtentConsumer removed, long address, long sectorCount) {
    mappedSectors -= sectorCount;
    removed.accept(address, sectorCount);
  }

  /**
   * Visits {@code [startSector, startSector + sectorCount)} in ascending order as contiguous pieces
   * clipped to the range: mapped pieces with the address of their first sector, allocated zeroes
   * with {@link #ZERO}, unmapped gaps with {@link #HOLE}. Pieces follow the extents, so two
   * adjacent pieces may continue each other where an extent ends at a window boundary.
   */
  public void forEach(long startSector, long sectorCount, ExtentVisitor visitor) {
    checkRange(startSector, sectorCount);
    long endSector = startSector + sectorCount;
    long position = startSector;
    while (position < endSector) {
      ExtentNode extent = firstEndingAfter(position);
      if (extent == null || extent.startSector >= endSector) {
        visitor.visit(position, endSector - position, HOLE);
        return;
      }
      if (extent.startSector > position) {
        visitor.visit(position, extent.startSector - position, HOLE);
        position = extent.startSector;
      }
      long pieceEndSector = Math.min(extent.endSector(), endSector);
      visitor.visit(position, pieceEndSector - position, extent.addressAt(position));
      position = pieceEndSector;
    }
  }

  /**
   * The extent that holds {@code sector} or else the first one after it; searching from the root
   * for each piece keeps {@link #forEach} free of allocation and recursion.
   */
  private ExtentNode firstEndingAfter(long sector) {
    ExtentNode found = null;
    ExtentNode node = root;
    while (node != null) {
      if (node.endSector() > sector) {
        found = node;
        node = node.left;
      } else {
        node = node.right;
      }
    }
    return found;
  }

  /** Visits every extent in ascending order, for checkpoints and for deleting a volume. */
  public void forEachExtent(ExtentVisitor visitor) {
    visitInOrder(root, visitor);
  }

  private static void visitInOrder(ExtentNode node, ExtentVisitor visitor) {
    if (node == null) {
      return;
    }
    visitInOrder(node.left, visitor);
    visitor.visit(node.startSector, node.lengthSectors(), node.address);
    visitInOrder(node.right, visitor);
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
    ExtentMapInvariants.check(root, treap, extentCount, mappedSectors);
  }

  /** The cheap part of {@link #checkInvariants}, checked after every change. */
  private void checkCounters() {
    if (extentCount < 0 || mappedSectors < extentCount || (root == null) != (extentCount == 0)) {
      throw new IllegalStateException(
          "extent map counters broken: extentCount "
              + extentCount
              + ", mappedSectors "
              + mappedSectors
              + ", empty tree "
              + (root == null));
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
    private final ExtentTreap treap = newTreap();
    private final SortedTreeAssembler assembler = new SortedTreeAssembler(treap);
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
      ExtentMap map = new ExtentMap(assembler.takeRoot(), treap, extentCount, mappedSectors);
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
        long chunkEndSector = Math.min(pendingEndSector, ExtentNode.windowEndSector(position));
        long chunkAddress = ExtentAddresses.advance(pendingAddress, position - pendingStartSector);
        assembler.append(treap.newNode(position, chunkEndSector - position, chunkAddress));
        extentCount++;
        position = chunkEndSector;
      }
      mappedSectors += pendingEndSector - pendingStartSector;
      pending = false;
    }
  }
}
