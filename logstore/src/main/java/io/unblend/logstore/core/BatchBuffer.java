package io.unblend.logstore.core;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.log.BatchHeader;
import io.unblend.logstore.log.EntryType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One batch being filled and then written: its header blocks and its data area in aligned native
 * buffers, the requests with parts in it, and, once sealed, where it lies in the log. A fixed set
 * of these cycles between open, in flight and free, so the write path allocates no buffers. Writes
 * are packed at 512-byte granularity; only the whole batch is padded to a block.
 *
 * <p>The data area follows room for the largest header in one buffer. The header is built apart,
 * because its size is known only when the batch is sealed; sealing copies it to just before the
 * data, so that the batch goes to the log as one write ({@link #image}).
 */
final class BatchBuffer {
  private static final long HEADER_ROOM_BYTES = (long) BatchHeader.MAX_BLOCKS * Bytes.BLOCK_BYTES;

  final int slot;
  final MemorySegment header;
  final MemorySegment data;
  private final MemorySegment area;
  private final int entriesMax;
  private final long dataSectorsMax;
  private long dataSectorsLimit = Long.MAX_VALUE;
  final List<Request.Logged> members = new ArrayList<>();

  /** Volume sizes as this batch's entries leave them (-1: deleted), for checking later adds. */
  final Map<Integer, Long> sizesAfter = new HashMap<>();

  /** Names that entries of this batch give to new volumes, snapshots and clones. */
  final Set<String> namesAdded = new HashSet<>();

  int entries;
  int dataSectors;

  /**
   * Whether no entry so far takes log space for good (trims, deletes and the cleaner's moves do
   * not), so that the batch may use the segments kept in reserve.
   */
  boolean mayUseReserve = true;

  // Set when sealed.
  long sequence;
  LogHead head;
  int segment;
  long offsetBytes;
  long dataAddress;
  boolean written;

  /** Written with RWF_DSYNC: durable on completion (see StorageLoop#writesDurably). */
  boolean durable;

  BatchBuffer(int slot, Arena arena, int dataBytesMax, int entriesMax) {
    this.slot = slot;
    this.header = arena.allocate(HEADER_ROOM_BYTES, Bytes.BLOCK_BYTES);
    this.area = arena.allocate(HEADER_ROOM_BYTES + dataBytesMax, Bytes.BLOCK_BYTES);
    this.data = area.asSlice(HEADER_ROOM_BYTES, dataBytesMax);
    this.entriesMax = entriesMax;
    this.dataSectorsMax = dataBytesMax / Bytes.SECTOR_BYTES;
  }

  boolean isEmpty() {
    return entries == 0;
  }

  boolean hasRoomForEntry() {
    return entries < entriesMax;
  }

  int freeEntries() {
    return entriesMax - entries;
  }

  long freeDataSectors() {
    return Math.max(0, Math.min(dataSectorsMax, dataSectorsLimit) - dataSectors);
  }

  /**
   * Caps the data area below its size, for a batch that must fit the rest of the head segment;
   * {@link #reset} lifts the cap.
   */
  void limitDataSectors(long sectors) {
    dataSectorsLimit = sectors;
  }

  /** Copies {@code sectorCount} sectors of {@code source} into the data area as one entry. */
  void addWrite(int volumeId, long startSector, MemorySegment source, long sectorCount) {
    int at = dataSectors;
    MemorySegment.copy(
        source, 0, data, (long) at * Bytes.SECTOR_BYTES, sectorCount * Bytes.SECTOR_BYTES);
    BatchHeader.putEntry(
        header, entries++, volumeId, EntryType.WRITE, 0, startSector, sectorCount, at);
    dataSectors += (int) sectorCount;
    mayUseReserve = false;
  }

  void addRange(EntryType type, int volumeId, long startSector, long sectorCount) {
    BatchHeader.putEntry(header, entries++, volumeId, type, 0, startSector, sectorCount, 0);
  }

  void addCreate(int volumeId, byte[] name, long sizeBytes) {
    addNamed(EntryType.CREATE_VOLUME, volumeId, name, sizeBytes);
    sizesAfter.put(volumeId, sizeBytes);
  }

  /** A snapshot of {@code sourceId} or a clone of snapshot {@code sourceId}, of that size. */
  void addShared(EntryType type, int volumeId, byte[] name, int sourceId, long sizeBytes) {
    addNamed(type, volumeId, name, sourceId);
    sizesAfter.put(volumeId, sizeBytes);
  }

  private void addNamed(EntryType type, int volumeId, byte[] name, long first) {
    namesAdded.add(new String(name, java.nio.charset.StandardCharsets.UTF_8));
    int at = dataSectors;
    MemorySegment.copy(
        MemorySegment.ofArray(name), 0, data, (long) at * Bytes.SECTOR_BYTES, name.length);
    BatchHeader.putEntry(header, entries++, volumeId, type, name.length, first, 0, at);
    dataSectors += (name.length + Bytes.SECTOR_BYTES - 1) / Bytes.SECTOR_BYTES;
    mayUseReserve = false;
  }

  /**
   * Data the cleaner moves, written once, and one RELOCATE entry per map piece that referenced it
   * at {@code address..}. Moving data neither grows nor shrinks what is live.
   */
  void addRelocation(MemorySegment source, long address, List<Cleaner.MapPiece> pieces) {
    int at = dataSectors;
    MemorySegment.copy(source, 0, data, (long) at * Bytes.SECTOR_BYTES, source.byteSize());
    for (Cleaner.MapPiece piece : pieces) {
      BatchHeader.putRelocate(
          header,
          entries++,
          piece.mapId(),
          piece.startSector(),
          piece.sectorCount(),
          piece.address(),
          at + (int) (piece.address() - address));
    }
    dataSectors += (int) (source.byteSize() / Bytes.SECTOR_BYTES);
  }

  void addResize(int volumeId, long sizeBytes) {
    BatchHeader.putEntry(header, entries++, volumeId, EntryType.RESIZE_VOLUME, 0, sizeBytes, 0, 0);
    sizesAfter.put(volumeId, sizeBytes);
    mayUseReserve = false;
  }

  void addDelete(int volumeId) {
    BatchHeader.putEntry(header, entries++, volumeId, EntryType.DELETE_VOLUME, 0, 0, 0, 0);
    sizesAfter.put(volumeId, -1L);
  }

  long headerBytes() {
    return (long) BatchHeader.blocksFor(entries) * Bytes.BLOCK_BYTES;
  }

  long dataBytesPadded() {
    return Bytes.roundUpToBlock((long) dataSectors * Bytes.SECTOR_BYTES);
  }

  long totalBytes() {
    return headerBytes() + dataBytesPadded();
  }

  /** Fills in sequence, epoch and checksums; the header and padding bytes become zero first. */
  void seal(long storeId, long sequenceNumber, long epoch, boolean cold) {
    int blocks = BatchHeader.blocksFor(entries);
    long entriesEnd = BatchHeader.ENTRIES_OFFSET + (long) entries * BatchHeader.ENTRY_BYTES;
    header.asSlice(entriesEnd, (long) blocks * Bytes.BLOCK_BYTES - entriesEnd).fill((byte) 0);
    header.asSlice(0, BatchHeader.ENTRIES_OFFSET).fill((byte) 0);
    long used = (long) dataSectors * Bytes.SECTOR_BYTES;
    data.asSlice(used, dataBytesPadded() - used).fill((byte) 0);
    BatchHeader.seal(
        header, storeId, blocks, sequenceNumber, epoch, entries, data, dataSectors, cold);
    this.sequence = sequenceNumber;
    long headerBytes = headerBytes();
    MemorySegment.copy(header, 0, area, HEADER_ROOM_BYTES - headerBytes, headerBytes);
  }

  /** The sealed batch as the log holds it: header blocks, then the padded data area. */
  MemorySegment image() {
    long headerBytes = headerBytes();
    return area.asSlice(HEADER_ROOM_BYTES - headerBytes, headerBytes + dataBytesPadded());
  }

  /** Ready to be filled again. */
  void reset() {
    members.clear();
    sizesAfter.clear();
    namesAdded.clear();
    dataSectorsLimit = Long.MAX_VALUE;
    entries = 0;
    dataSectors = 0;
    mayUseReserve = true;
    written = false;
    durable = false;
  }

  /** Whether a member is a FUA write, which waits until the batch is durable. */
  boolean hasFuaMember() {
    for (Request.Logged member : members) {
      if (member.fua) {
        return true;
      }
    }
    return false;
  }
}
