package io.unblend.logstore.crash;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.logstore.layout.Superblock;
import io.unblend.logstore.log.BatchHeader;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A batch found in the log of a stopped store, read with plain file I/O (or from a simulated disk)
 * so that tests can damage it precisely. In a data directory the log file holds segment {@code s}
 * at byte {@code s * segmentBytes}, and every batch starts on a 4 KiB boundary of its segment.
 *
 * @param fileOffsetBytes where the batch's first header block is in the log file
 * @param headerBytes its header blocks
 * @param dataBytes the data sectors its checksum covers (the area after the header, before padding)
 * @param totalBytes header and padded data
 * @param firstEntryVolume the volume id of its first entry
 * @param firstEntrySector the first entry's start sector
 * @param firstEntrySectors the first entry's sector count
 * @param cold whether it was written at the cold head (the cleaner's moves)
 */
public record LoggedBatch(
    int segment,
    long offsetBytes,
    long fileOffsetBytes,
    long sequence,
    long epoch,
    long headerBytes,
    long dataBytes,
    long totalBytes,
    int entries,
    int firstEntryVolume,
    long firstEntrySector,
    long firstEntrySectors,
    boolean cold) {

  /** The log file of the store in {@code directory}. */
  static Path logFile(Path directory) {
    return directory.resolve(StoreLayout.LOG_FILE);
  }

  /** Every batch that starts a chain at some segment's start, in sequence order. */
  public static List<LoggedBatch> scan(Path directory, int segmentBytes) throws IOException {
    Path superblockFile = directory.resolve(StoreLayout.SUPERBLOCK_FILE);
    byte[] superblock = Arrays.copyOf(Files.readAllBytes(superblockFile), Superblock.SIZE_BYTES);
    long storeId =
        Superblock.decode(MemorySegment.ofArray(superblock), superblockFile.toString()).storeId();
    return scan(
        MemorySegment.ofArray(Files.readAllBytes(logFile(directory))), segmentBytes, storeId);
  }

  /**
   * Every batch of store {@code storeId} in {@code log} (a whole log) that starts a chain at some
   * segment's start, in sequence order.
   */
  static List<LoggedBatch> scan(MemorySegment log, int segmentBytes, long storeId) {
    List<LoggedBatch> batches = new ArrayList<>();
    int segments = (int) (log.byteSize() / segmentBytes);
    for (int segment = 0; segment < segments; segment++) {
      long offset = 0;
      while (offset + Bytes.BLOCK_BYTES <= segmentBytes) {
        long fileOffset = (long) segment * segmentBytes + offset;
        MemorySegment first = log.asSlice(fileOffset, Bytes.BLOCK_BYTES);
        if (!BatchHeader.hasMagic(first)
            || BatchHeader.checkShape(first) != null
            || BatchHeader.storeId(first) != storeId) {
          break;
        }
        long headerBytes = (long) BatchHeader.blocks(first) * Bytes.BLOCK_BYTES;
        MemorySegment header = log.asSlice(fileOffset, headerBytes);
        int entries = BatchHeader.entryCount(header);
        batches.add(
            new LoggedBatch(
                segment,
                offset,
                fileOffset,
                BatchHeader.sequence(header),
                BatchHeader.epoch(header),
                headerBytes,
                (long) BatchHeader.dataSectors(header) * Bytes.SECTOR_BYTES,
                BatchHeader.totalBytes(header),
                entries,
                entries > 0 ? BatchHeader.entryVolume(header, 0) : -1,
                entries > 0 ? BatchHeader.entryFirst(header, 0) : -1,
                entries > 0 ? BatchHeader.entrySecond(header, 0) : -1,
                BatchHeader.isCold(header)));
        offset += BatchHeader.totalBytes(header);
      }
    }
    batches.sort(Comparator.comparingLong(LoggedBatch::sequence));
    return batches;
  }

  /** The batch with the highest sequence. */
  static LoggedBatch last(Path directory, int segmentBytes) throws IOException {
    List<LoggedBatch> batches = scan(directory, segmentBytes);
    if (batches.isEmpty()) {
      throw new AssertionError("the log in " + directory + " holds no batch");
    }
    return batches.getLast();
  }

  /** Where the batch's data area starts in the log file. */
  long dataFileOffsetBytes() {
    return fileOffsetBytes + headerBytes;
  }

  /** Flips bit {@code bit} (0 to 7) of the byte at {@code fileOffset} of the log file. */
  static void flipBit(Path directory, long fileOffset, int bit) throws IOException {
    try (FileChannel log =
        FileChannel.open(logFile(directory), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      log.read(one, fileOffset);
      one.put(0, (byte) (one.get(0) ^ (1 << bit)));
      log.write(one.rewind(), fileOffset);
      log.force(false);
    }
  }

  /** Overwrites the log file at {@code fileOffset} with {@code bytes}. */
  static void overwrite(Path directory, long fileOffset, byte[] bytes) throws IOException {
    try (FileChannel log =
        FileChannel.open(logFile(directory), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        log.write(buffer, fileOffset + buffer.position());
      }
      log.force(false);
    }
  }

  @Override
  public String toString() {
    return "batch "
        + sequence
        + " (epoch "
        + epoch
        + ", segment "
        + segment
        + " offset "
        + offsetBytes
        + ", "
        + totalBytes
        + " bytes, "
        + entries
        + " entries)";
  }
}
