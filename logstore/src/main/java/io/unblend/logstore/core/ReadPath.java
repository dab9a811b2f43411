package io.unblend.logstore.core;

import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.logstore.log.SegmentTable;
import io.unblend.logstore.map.ExtentMap;
import io.unblend.logstore.map.ExtentVisitor;
import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * Reads on the storage thread: a volume's map says where each piece of the range lives; holes and
 * allocated zeros are filled in memory, pieces in a batch still being written are copied from its
 * buffer, and the rest is read from the log straight into the caller's memory, through the page
 * cache ({@link StoreLayout#logReader}; ADR 0012). At most a bounded number of pieces are in
 * flight; the rest queue.
 */
final class ReadPath implements ExtentVisitor {
  /** A piece of a read that needs the disk. */
  private record Piece(
      Request.Read read, IoFile file, long intoOffsetBytes, long address, long sectorCount) {}

  private final StoreLayout layout;
  private final IoEngine engine;
  private final long userDataKind;
  private final Piece[] slots;
  private final SegmentTable segments;

  /** Pieces queued or in flight per segment: a segment with any is not reused (ADR 0012). */
  private final int[] piecesInSegment;

  private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
  private final ArrayDeque<Piece> pending = new ArrayDeque<>();

  // The read being planned by forEach, and the batches it may copy from.
  private Request.Read planning;
  private Iterable<BatchBuffer> inFlight;

  ReadPath(
      StoreConfiguration config,
      StoreLayout layout,
      SegmentTable segments,
      IoEngine engine,
      long userDataKind) {
    this.layout = layout;
    this.engine = engine;
    this.userDataKind = userDataKind;
    this.slots = new Piece[config.readsInFlightMax()];
    this.segments = segments;
    this.piecesInSegment = new int[segments.segmentCount()];
    for (int i = 0; i < slots.length; i++) {
      freeSlots.addLast(i);
    }
  }

  /** Plans a read: fills what memory can answer, queues the rest for the disk. */
  void start(Request.Read read, StoreState state, Iterable<BatchBuffer> batchesInFlight) {
    VolumeState volume = state.volume(read.volumeId);
    long sectors = read.into.byteSize() / Bytes.SECTOR_BYTES;
    if (volume == null) {
      read.done.completeExceptionally(
          new StoreException(Errno.ENOENT, "volume " + read.volumeId + " does not exist"));
      return;
    }
    if (read.startSector < 0
        || read.startSector + sectors > volume.sizeBytes() / Bytes.SECTOR_BYTES) {
      read.done.completeExceptionally(
          new StoreException(
              Errno.EINVAL, "read outside the volume of " + volume.sizeBytes() + " bytes"));
      return;
    }
    planning = read;
    inFlight = batchesInFlight;
    read.piecesInFlight++; // Held while planning, so the read cannot complete half-planned.
    volume.map().forEach(read.startSector, sectors, this);
    planning = null;
    inFlight = null;
    pieceDone(read);
  }

  @Override
  public void visit(long startSector, long sectorCount, long address) {
    Request.Read read = planning;
    if (read.runs != null) {
      read.runs.add(sectorCount, address);
    }
    long intoOffset = (startSector - read.startSector) * Bytes.SECTOR_BYTES;
    long bytes = sectorCount * Bytes.SECTOR_BYTES;
    if (address == ExtentMap.HOLE || address == ExtentMap.ZERO) {
      read.into.asSlice(intoOffset, bytes).fill((byte) 0);
      return;
    }
    for (BatchBuffer batch : inFlight) {
      long dataEnd = batch.dataAddress + batch.dataSectors;
      if (address >= batch.dataAddress && address + sectorCount <= dataEnd) {
        MemorySegment.copy(
            batch.data,
            (address - batch.dataAddress) * Bytes.SECTOR_BYTES,
            read.into,
            intoOffset,
            bytes);
        return;
      }
    }
    queue(new Piece(read, layout.logReader(), intoOffset, address, sectorCount));
  }

  /**
   * Reads log sectors from {@code address} into the whole of {@code read.into}, whatever maps them:
   * what the cleaner does with a segment it empties. The read bypasses the page cache (O_DIRECT),
   * since what it reads is about to move, so the address, the length and the memory must be
   * block-aligned. The sectors must not be in a batch in flight.
   */
  void startLogRead(Request.Read read, long address) {
    read.piecesInFlight++;
    queue(
        new Piece(
            read, layout.log().file(), 0, address, read.into.byteSize() / Bytes.SECTOR_BYTES));
    pieceDone(read);
  }

  /** Queues a piece, joined to the one before when it continues it in the log and in memory. */
  private void queue(Piece piece) {
    Piece last = pending.peekLast();
    if (last != null
        && last.read() == piece.read()
        && last.file() == piece.file()
        && last.address() + last.sectorCount() == piece.address()
        && last.intoOffsetBytes() + bytesOf(last) == piece.intoOffsetBytes()
        && segmentOf(last) == segmentOf(piece)) {
      pending.pollLast();
      pending.add(
          new Piece(
              last.read(),
              last.file(),
              last.intoOffsetBytes(),
              last.address(),
              last.sectorCount() + piece.sectorCount()));
      return;
    }
    piece.read().piecesInFlight++;
    piecesInSegment[segmentOf(piece)]++;
    pending.add(piece);
  }

  /** A piece leaves: read, failed or dropped. */
  private void retire(Piece piece) {
    piecesInSegment[segmentOf(piece)]--;
    pieceDone(piece.read());
  }

  /** The segment of a piece; a piece never spans two, since each starts with a batch header. */
  private int segmentOf(Piece piece) {
    return segments.segmentOf(piece.address());
  }

  /**
   * Whether a read still has to read this segment: then it must not be reused, even once no map
   * refers to it, or the read would return whatever the segment holds next.
   */
  boolean isReading(int segment) {
    return piecesInSegment[segment] > 0;
  }

  /** Starts queued pieces while slots are free. */
  void issuePending() throws NativeIoException {
    while (!pending.isEmpty() && !freeSlots.isEmpty()) {
      Piece piece = pending.poll();
      if (piece.read().failure != null) {
        retire(piece);
        continue;
      }
      int slot = freeSlots.peek();
      if (!engine.prepareRead(
          piece.file(),
          layout.byteOffsetOf(piece.address()),
          piece.read().into.asSlice(piece.intoOffsetBytes(), bytesOf(piece)),
          userDataKind | slot)) {
        pending.addFirst(piece);
        return;
      }
      freeSlots.pop();
      slots[slot] = piece;
    }
  }

  /**
   * A piece's read finished. A short read (which the kernel may return for a read the page cache
   * answers only in part) is continued where it stopped.
   */
  void completed(int slot, int result) {
    Piece piece = slots[slot];
    slots[slot] = null;
    freeSlots.push(slot);
    long bytes = bytesOf(piece);
    if (piece.read().failure != null) {
      // Failed by another piece, or by the store stopping: nothing more to read.
    } else if (result > 0 && result < bytes && result % continuableBytes(piece) == 0) {
      long sectorsRead = result / Bytes.SECTOR_BYTES;
      queue(
          new Piece(
              piece.read(),
              piece.file(),
              piece.intoOffsetBytes() + result,
              piece.address() + sectorsRead,
              piece.sectorCount() - sectorsRead));
    } else if (result != bytes) {
      piece.read().failure =
          new StoreException(
              Errno.EIO,
              "reading the log at offset "
                  + layout.byteOffsetOf(piece.address())
                  + " failed: "
                  + (result < 0 ? Errno.nameOf(-result) : "short read of " + result));
    }
    retire(piece);
  }

  /**
   * What a short read must be a multiple of for the rest to be read: O_DIRECT asks whole blocks.
   */
  private static int continuableBytes(Piece piece) {
    return piece.file().isDirect() ? piece.file().blockSizeBytes() : Bytes.SECTOR_BYTES;
  }

  private static long bytesOf(Piece piece) {
    return piece.sectorCount() * Bytes.SECTOR_BYTES;
  }

  private static void pieceDone(Request.Read read) {
    if (--read.piecesInFlight > 0) {
      return;
    }
    if (read.failure != null) {
      read.done.completeExceptionally(read.failure);
    } else {
      read.done.complete(null);
    }
  }

  boolean isIdle() {
    return pending.isEmpty() && freeSlots.size() == slots.length;
  }

  /**
   * Fails every read still planned or in flight; the loop is stopping. A read with a piece in
   * flight fails when that piece completes: until then the kernel may still write into its memory,
   * which the caller must not have back.
   */
  void failAll(StoreException cause) {
    Piece piece;
    while ((piece = pending.poll()) != null) {
      if (piece.read().failure == null) {
        piece.read().failure = cause;
      }
      retire(piece);
    }
    for (Piece inFlight : slots) {
      if (inFlight != null && inFlight.read().failure == null) {
        inFlight.read().failure = cause;
      }
    }
  }

  /**
   * Answers the reads still in flight with {@code cause} at once: only for when their completions
   * can no longer be awaited, since the kernel may still be writing into their memory.
   */
  void abandonInFlight(StoreException cause) {
    for (int slot = 0; slot < slots.length; slot++) {
      if (slots[slot] != null) {
        slots[slot].read().done.completeExceptionally(cause);
        slots[slot] = null;
      }
    }
  }
}
