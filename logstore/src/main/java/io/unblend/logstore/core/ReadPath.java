package io.unblend.logstore.core;

import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.logstore.map.ExtentMap;
import io.unblend.logstore.map.ExtentVisitor;
import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * Reads on the storage thread: a volume's map says where each piece of the range lives; holes and
 * allocated zeros are filled in memory, pieces in a batch still being written are copied from its
 * buffer, and the rest is read from the log with O_DIRECT through a bounded set of aligned staging
 * buffers (reads queue when all are busy). A buffer is allocated when first needed and the most
 * recently freed one is used next, so memory follows the most reads ever in flight at once, not the
 * bound.
 */
final class ReadPath implements ExtentVisitor {
  /** A piece of a read that needs the disk. */
  private record Piece(Request.Read read, long intoOffsetBytes, long address, long sectorCount) {}

  private final StoreLayout layout;
  private final IoEngine engine;
  private final Arena arena;
  private final long userDataKind;
  private final int bufferBytes;
  private final MemorySegment[] buffers;
  private final Piece[] slots;
  private final long[] slotStartBytes;
  private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
  private final ArrayDeque<Piece> pending = new ArrayDeque<>();

  // The read being planned by forEach, and the batches it may copy from.
  private Request.Read planning;
  private Iterable<BatchBuffer> inFlight;

  ReadPath(
      StoreConfiguration config,
      StoreLayout layout,
      IoEngine engine,
      Arena arena,
      long userDataKind) {
    this.layout = layout;
    this.engine = engine;
    this.arena = arena;
    this.userDataKind = userDataKind;
    this.bufferBytes = config.readBufferBytes();
    this.buffers = new MemorySegment[config.readBuffers()];
    this.slots = new Piece[config.readBuffers()];
    this.slotStartBytes = new long[config.readBuffers()];
    for (int i = 0; i < buffers.length; i++) {
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
    queue(read, intoOffset, address, sectorCount);
  }

  /**
   * Reads log sectors from {@code address} into the whole of {@code read.into}, whatever maps them:
   * what the cleaner does with a segment it empties. The sectors must not be in a batch in flight.
   */
  void startLogRead(Request.Read read, long address) {
    read.piecesInFlight++;
    queue(read, 0, address, read.into.byteSize() / Bytes.SECTOR_BYTES);
    pieceDone(read);
  }

  /** Splits so that each piece, widened to whole blocks, fits one staging buffer. */
  private void queue(Request.Read read, long intoOffset, long address, long sectorCount) {
    long maxSectors = (bufferBytes - Bytes.BLOCK_BYTES) / Bytes.SECTOR_BYTES;
    for (long done = 0; done < sectorCount; done += maxSectors) {
      long count = Math.min(maxSectors, sectorCount - done);
      read.piecesInFlight++;
      pending.add(new Piece(read, intoOffset + done * Bytes.SECTOR_BYTES, address + done, count));
    }
  }

  /** Starts queued pieces while staging buffers are free. */
  void issuePending() throws NativeIoException {
    while (!pending.isEmpty() && !freeSlots.isEmpty()) {
      Piece piece = pending.poll();
      if (piece.read().failure != null) {
        pieceDone(piece.read());
        continue;
      }
      int slot = freeSlots.pop();
      if (buffers[slot] == null) {
        buffers[slot] = arena.allocate(bufferBytes, Bytes.BLOCK_BYTES);
      }
      long startBytes = layout.byteOffsetOf(piece.address());
      long alignedStart = Bytes.roundDownToBlock(startBytes);
      long alignedEnd = Bytes.roundUpToBlock(startBytes + piece.sectorCount() * Bytes.SECTOR_BYTES);
      slots[slot] = piece;
      slotStartBytes[slot] = alignedStart;
      if (!engine.prepareRead(
          layout.log().file(),
          alignedStart,
          buffers[slot].asSlice(0, alignedEnd - alignedStart),
          userDataKind | slot)) {
        slots[slot] = null;
        freeSlots.addFirst(slot);
        pending.addFirst(piece);
        return;
      }
    }
  }

  /** A staging read finished: copy the piece out and free the buffer. */
  void completed(int slot, int result) {
    Piece piece = slots[slot];
    slots[slot] = null;
    freeSlots.push(slot);
    if (piece == null) {
      return; // Its read was failed already when the store stopped.
    }
    long startBytes = layout.byteOffsetOf(piece.address());
    long bytes = piece.sectorCount() * Bytes.SECTOR_BYTES;
    long within = startBytes - slotStartBytes[slot];
    if (result < within + bytes) {
      piece.read().failure =
          new StoreException(
              Errno.EIO,
              "reading the log at offset "
                  + startBytes
                  + " failed: "
                  + (result < 0 ? Errno.nameOf(-result) : "short read of " + result));
    } else {
      MemorySegment.copy(buffers[slot], within, piece.read().into, piece.intoOffsetBytes(), bytes);
    }
    pieceDone(piece.read());
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
    return pending.isEmpty() && freeSlots.size() == buffers.length;
  }

  /** Fails every read still planned or in flight; the loop is stopping. */
  void failAll(StoreException cause) {
    Piece piece;
    while ((piece = pending.poll()) != null) {
      piece.read().done.completeExceptionally(cause);
    }
    for (int slot = 0; slot < slots.length; slot++) {
      if (slots[slot] != null) {
        slots[slot].read().done.completeExceptionally(cause);
        slots[slot] = null;
      }
    }
  }
}
