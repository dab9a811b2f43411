package io.unblend.logstore.checkpoint;

import static io.unblend.logstore.layout.Bytes.U16;
import static io.unblend.logstore.layout.Bytes.U32;
import static io.unblend.logstore.layout.Bytes.U64;

import io.unblend.logstore.core.VolumeState;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.CorruptStoreException;
import io.unblend.logstore.layout.Region;
import io.unblend.logstore.log.LogPosition;
import io.unblend.logstore.log.SegmentTable;
import io.unblend.logstore.map.ExtentMap;
import io.unblend.logstore.map.ExtentMapDiff;
import io.unblend.logstore.map.ExtentVisitor;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint in its slot: a 4 KiB header block, then the body. The header is written last, after
 * the body, and both carry CRC32Cs, so a checkpoint torn anywhere is found invalid and recovery
 * takes the other slot.
 *
 * <pre>
 * header block
 *    0 u32 magic "UBCP" (0x50434255)
 *    4 u16 version (3; versions 1 and 2 are read too)
 *    6 u16 reserved, 0
 *    8 u64 checkpoint sequence
 *   16 u64 epoch
 *   24 u64 next batch sequence
 *   32 s32 head segment (-1: the next batch starts a new segment)
 *   36 u32 next volume id
 *   40 u64 head offset in the head segment, bytes
 *   48 u32 segment count
 *   52 u32 volume count
 *   56 u64 body bytes (a multiple of 4096)
 *   64 u32 body CRC32C
 *   68 u32 reserved
 *   72 u64 store id (the superblock's)
 *   80 s32 cold head segment (version 3: -1 when the cleaner's next batch starts a new segment;
 *          earlier versions had no cold head)
 *   84 u32 reserved, 0
 *   88 u64 cold head offset in the cold head segment, bytes (version 3)
 * 4092 u32 header CRC32C of bytes 0..4091
 * body, from byte 4096
 *   per segment: u64 live sectors, u64 last batch sequence, u64 flags (bit 0: pre-written)
 *   per volume:  u32 id, u16 name bytes, u8 kind (0 volume or clone, 1 snapshot), u8 reserved,
 *                u64 size bytes, u64 extent (or piece) count, u32 origin id (from version 2:
 *                the volume a snapshot was taken of, the snapshot a clone started from, else 0),
 *                u32 base id (from version 2: 0, or the id of a map written before this one
 *                that this one is written as differences from; see MapBases),
 *                name (UTF-8), then per extent: u64 start sector, u64 sector count,
 *                s64 address (log sector, -1 for allocated zeros; with a base, -2 for a hole)
 *   zero padding to a whole block
 * </pre>
 */
public final class CheckpointFormat {
  public static final int MAGIC = 0x50434255;
  public static final short VERSION = 3;
  private static final short FIRST_VERSION_WITH_COLD_HEAD = 3;
  private static final short FIRST_VERSION_WITH_SNAPSHOTS = 2;
  private static final short FIRST_VERSION = 1;
  public static final int HEADER_BYTES = Bytes.BLOCK_BYTES;

  private static final int MAGIC_OFFSET = 0;
  private static final int VERSION_OFFSET = 4;
  private static final int SEQUENCE_OFFSET = 8;
  private static final int EPOCH_OFFSET = 16;
  private static final int NEXT_BATCH_OFFSET = 24;
  private static final int HEAD_SEGMENT_OFFSET = 32;
  private static final int NEXT_VOLUME_OFFSET = 36;
  private static final int HEAD_OFFSET_OFFSET = 40;
  private static final int SEGMENT_COUNT_OFFSET = 48;
  private static final int VOLUME_COUNT_OFFSET = 52;
  private static final int BODY_BYTES_OFFSET = 56;
  private static final int BODY_CRC_OFFSET = 64;
  private static final int STORE_ID_OFFSET = 72;
  private static final int COLD_HEAD_SEGMENT_OFFSET = 80;
  private static final int COLD_HEAD_OFFSET_OFFSET = 88;
  private static final int HEADER_CRC_OFFSET = HEADER_BYTES - Integer.BYTES;

  private static final long PREWRITTEN = 1;

  /** The kind byte, as it lies in the int read with the name length (little-endian). */
  private static final int SNAPSHOT_KIND = 1 << 16;

  private static final int NAME_BYTES_MASK = 0xffff;

  private CheckpointFormat() {}

  /**
   * Writes {@code image} into {@code slot}: body first, then the header, then a datasync.
   *
   * @param staging an aligned buffer of at least 64 KiB for streaming
   * @return the bytes written into the slot, header included
   */
  public static long write(BlockingIo io, Region slot, CheckpointImage image, MemorySegment staging)
      throws NativeIoException {
    SlotOutput out = new SlotOutput(io, slot, staging, HEADER_BYTES);
    SegmentTable segments = image.segments();
    for (int s = 0; s < segments.segmentCount(); s++) {
      out.putLong(segments.liveSectors(s));
      out.putLong(segments.lastWritten(s));
      out.putLong(segments.isPrewritten(s) ? PREWRITTEN : 0);
    }
    ExtentWriter extents = new ExtentWriter(out);
    MapBases bases = new MapBases(image.volumes());
    for (VolumeState volume : bases.order()) {
      VolumeState base = bases.baseOf(volume);
      byte[] name = volume.name().getBytes(StandardCharsets.UTF_8);
      out.putInt(volume.id());
      out.putInt(name.length | (volume.isSnapshot() ? SNAPSHOT_KIND : 0));
      out.putLong(volume.sizeBytes());
      if (base == null) {
        out.putLong(volume.map().extentCount());
      } else {
        long[] count = {0};
        differences(base, volume, (start, sectors, address) -> count[0]++);
        out.putLong(count[0]);
      }
      out.putInt(volume.originId());
      out.putInt(base == null ? 0 : base.id());
      out.putBytes(name);
      if (base == null) {
        volume.map().forEachExtent(extents);
      } else {
        differences(base, volume, extents);
      }
      extents.rethrow();
    }
    long[] bodyBytesAndCrc = out.finish();

    MemorySegment header = staging.asSlice(0, HEADER_BYTES);
    header.fill((byte) 0);
    header.set(U32, MAGIC_OFFSET, MAGIC);
    header.set(U16, VERSION_OFFSET, VERSION);
    header.set(U64, SEQUENCE_OFFSET, image.checkpointSequence());
    header.set(U64, EPOCH_OFFSET, image.epoch());
    header.set(U64, NEXT_BATCH_OFFSET, image.nextBatchSequence());
    header.set(U32, HEAD_SEGMENT_OFFSET, image.head().segment());
    header.set(U32, NEXT_VOLUME_OFFSET, image.nextVolumeId());
    header.set(U64, HEAD_OFFSET_OFFSET, image.head().offsetBytes());
    header.set(U32, COLD_HEAD_SEGMENT_OFFSET, image.coldHead().segment());
    header.set(U64, COLD_HEAD_OFFSET_OFFSET, image.coldHead().offsetBytes());
    header.set(U32, SEGMENT_COUNT_OFFSET, segments.segmentCount());
    header.set(U32, VOLUME_COUNT_OFFSET, image.volumes().size());
    header.set(U64, BODY_BYTES_OFFSET, bodyBytesAndCrc[0]);
    header.set(U32, BODY_CRC_OFFSET, (int) bodyBytesAndCrc[1]);
    header.set(U64, STORE_ID_OFFSET, image.storeId());
    header.set(U32, HEADER_CRC_OFFSET, Bytes.crc32c(header, 0, HEADER_CRC_OFFSET));
    io.datasync(slot.file());
    io.write(slot.file(), slot.offsetBytes(), header);
    io.datasync(slot.file());
    return HEADER_BYTES + bodyBytesAndCrc[0];
  }

  private static void differences(VolumeState base, VolumeState map, ExtentVisitor out) {
    long sectors = Math.max(base.sizeBytes(), map.sizeBytes()) / Bytes.SECTOR_BYTES;
    ExtentMapDiff.differences(base.map(), map.map(), 0, sectors, out);
  }

  /** The checkpoint sequence in a slot's header block, or -1 when the header is not valid. */
  public static long readSequence(BlockingIo io, Region slot, MemorySegment staging)
      throws NativeIoException {
    MemorySegment header = staging.asSlice(0, HEADER_BYTES);
    if (io.read(slot.file(), slot.offsetBytes(), header) != HEADER_BYTES
        || headerProblem(header) != null) {
      return -1;
    }
    return header.get(U64, SEQUENCE_OFFSET);
  }

  /**
   * Reads a whole checkpoint, checking every checksum and the maps' consistency.
   *
   * @throws CorruptStoreException with the reason when the slot holds no valid checkpoint
   */
  public static CheckpointImage read(
      BlockingIo io, Region slot, MemorySegment staging, long storeId, int segmentBytes)
      throws NativeIoException, CorruptStoreException {
    MemorySegment header = staging.asSlice(0, HEADER_BYTES);
    String where = "checkpoint in " + slot.file().path() + " at offset " + slot.offsetBytes();
    if (io.read(slot.file(), slot.offsetBytes(), header) != HEADER_BYTES) {
      throw new CorruptStoreException(where + ": empty");
    }
    String problem = headerProblem(header);
    if (problem != null) {
      throw new CorruptStoreException(where + ": " + problem);
    }
    if (header.get(U64, STORE_ID_OFFSET) != storeId) {
      throw new CorruptStoreException(where + ": belongs to another store");
    }
    short version = header.get(U16, VERSION_OFFSET);
    long sequence = header.get(U64, SEQUENCE_OFFSET);
    long epoch = header.get(U64, EPOCH_OFFSET);
    long nextBatch = header.get(U64, NEXT_BATCH_OFFSET);
    LogPosition head =
        new LogPosition(header.get(U32, HEAD_SEGMENT_OFFSET), header.get(U64, HEAD_OFFSET_OFFSET));
    LogPosition coldHead =
        version >= FIRST_VERSION_WITH_COLD_HEAD
            ? new LogPosition(
                header.get(U32, COLD_HEAD_SEGMENT_OFFSET), header.get(U64, COLD_HEAD_OFFSET_OFFSET))
            : LogPosition.NONE;
    int nextVolumeId = header.get(U32, NEXT_VOLUME_OFFSET);
    int segmentCount = header.get(U32, SEGMENT_COUNT_OFFSET);
    int volumeCount = header.get(U32, VOLUME_COUNT_OFFSET);
    long bodyBytes = header.get(U64, BODY_BYTES_OFFSET);
    int bodyCrc = header.get(U32, BODY_CRC_OFFSET);

    SlotInput in = new SlotInput(io, slot, staging, HEADER_BYTES, bodyBytes);
    SegmentTable segments = new SegmentTable(segmentBytes, segmentCount);
    for (int s = 0; s < segmentCount; s++) {
      long live = in.getLong();
      long last = in.getLong();
      long flags = in.getLong();
      segments.restore(s, live, last, (flags & PREWRITTEN) != 0);
    }
    List<VolumeState> volumes = new ArrayList<>(volumeCount);
    Map<Integer, VolumeState> read = new HashMap<>();
    for (int v = 0; v < volumeCount; v++) {
      int id = in.getInt();
      int nameAndKind = in.getInt();
      int nameBytes = nameAndKind & NAME_BYTES_MASK;
      boolean snapshot = (nameAndKind & SNAPSHOT_KIND) != 0;
      long sizeBytes = in.getLong();
      long extentCount = in.getLong();
      int originId = 0;
      int baseId = 0;
      if (version >= FIRST_VERSION_WITH_SNAPSHOTS) {
        originId = in.getInt();
        baseId = in.getInt();
      }
      if (nameBytes > 4096 || extentCount < 0) {
        throw new CorruptStoreException(where + ": volume " + id + " record is malformed");
      }
      String name = new String(in.getBytes(nameBytes), StandardCharsets.UTF_8);
      VolumeState base = read.get(baseId);
      if (baseId != 0 && base == null) {
        throw new CorruptStoreException(
            where + ": map of volume " + name + " differs from map " + baseId + ", not read yet");
      }
      try {
        ExtentMap map =
            base == null ? readWhole(in, extentCount) : readDifferences(in, extentCount, base);
        VolumeState volume = new VolumeState(id, name, sizeBytes, map, snapshot, originId);
        volumes.add(volume);
        read.put(id, volume);
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new CorruptStoreException(where + ": map of volume " + name + ": " + e.getMessage());
      }
    }
    if (in.finishCrc() != bodyCrc) {
      throw new CorruptStoreException(where + ": body checksum mismatch");
    }
    return new CheckpointImage(
        storeId, sequence, epoch, nextBatch, head, coldHead, nextVolumeId, segments, volumes);
  }

  private static ExtentMap readWhole(SlotInput in, long extentCount)
      throws NativeIoException, CorruptStoreException {
    ExtentMap.Builder map = ExtentMap.builder();
    for (long e = 0; e < extentCount; e++) {
      map.add(in.getLong(), in.getLong(), in.getLong());
    }
    return map.build();
  }

  /** A map written as the pieces where it differs from {@code base}; holes as HOLE pieces. */
  private static ExtentMap readDifferences(SlotInput in, long pieceCount, VolumeState base)
      throws NativeIoException, CorruptStoreException {
    ExtentMap map = base.map().snapshot();
    for (long p = 0; p < pieceCount; p++) {
      long start = in.getLong();
      long sectors = in.getLong();
      long address = in.getLong();
      if (address == ExtentMap.HOLE) {
        map.remove(start, sectors, (a, c) -> {});
      } else {
        map.put(start, sectors, address, (a, c) -> {});
      }
    }
    return map;
  }

  private static String headerProblem(MemorySegment header) {
    if (header.get(U32, MAGIC_OFFSET) != MAGIC) {
      return "no checkpoint magic";
    }
    short version = header.get(U16, VERSION_OFFSET);
    if (version < FIRST_VERSION || version > VERSION) {
      return "checkpoint version " + version + " is not one of " + FIRST_VERSION + " to " + VERSION;
    }
    if (header.get(U32, HEADER_CRC_OFFSET) != Bytes.crc32c(header, 0, HEADER_CRC_OFFSET)) {
      return "header checksum mismatch";
    }
    return null;
  }

  /** Streams a map's extents; the visitor cannot throw checked exceptions, so it keeps one. */
  private static final class ExtentWriter implements ExtentVisitor {
    private final SlotOutput out;
    private NativeIoException failure;

    ExtentWriter(SlotOutput out) {
      this.out = out;
    }

    @Override
    public void visit(long startSector, long sectorCount, long address) {
      if (failure != null) {
        return;
      }
      try {
        out.putLong(startSector);
        out.putLong(sectorCount);
        out.putLong(address);
      } catch (NativeIoException e) {
        failure = e;
      }
    }

    void rethrow() throws NativeIoException {
      if (failure != null) {
        throw failure;
      }
    }
  }
}
