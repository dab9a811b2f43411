package io.unblend.logstore.core;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.log.BatchHeader;
import io.unblend.logstore.log.EntryType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Applies a batch's entries to the store's state. The storage thread calls it on each batch it
 * writes and recovery on each batch it replays, so a replayed store is exactly the store that wrote
 * the log. {@link #check} looks at every entry first, so a bad batch changes nothing.
 */
public final class BatchApplier {
  private final StoreState state;

  public BatchApplier(StoreState state) {
    this.state = state;
  }

  /** Returns null when every entry can be applied in order, else what is wrong. */
  public String check(MemorySegment header, MemorySegment data) {
    int entries = BatchHeader.entryCount(header);
    long dataSectors = BatchHeader.dataSectors(header);
    // Sizes of volumes as the batch changes them, in entry order.
    Map<Integer, Long> sizes = new HashMap<>();
    Set<Integer> snapshots = new HashSet<>();
    for (int i = 0; i < entries; i++) {
      EntryType type = BatchHeader.entryType(header, i);
      int volume = BatchHeader.entryVolume(header, i);
      long first = BatchHeader.entryFirst(header, i);
      long second = BatchHeader.entrySecond(header, i);
      if (type == null) {
        return "entry " + i + " has an unknown type";
      }
      if (type == EntryType.RELOCATE) {
        int count = BatchHeader.entryRelocatedSectors(header, i);
        if (count <= 0 || BatchHeader.entryDataSector(header, i) + (long) count > dataSectors) {
          return "entry " + i + " relocates sectors outside the data area";
        }
        continue;
      }
      if (type == EntryType.CREATE_VOLUME
          || type == EntryType.SNAPSHOT
          || type == EntryType.CLONE) {
        if (sizes.containsKey(volume) && sizes.get(volume) >= 0 || state.volume(volume) != null) {
          return "entry " + i + " creates volume " + volume + " twice";
        }
        long nameEnd =
            (long) BatchHeader.entryDataSector(header, i) * Bytes.SECTOR_BYTES
                + BatchHeader.entryNameBytes(header, i);
        if (nameEnd > dataSectors * Bytes.SECTOR_BYTES) {
          return "entry " + i + " has its name outside the data area";
        }
        long size = first;
        if (type != EntryType.CREATE_VOLUME) {
          int source = (int) first;
          size = sizes.containsKey(source) ? sizes.get(source) : currentSize(source);
          boolean sourceIsSnapshot = isSnapshot(source, snapshots);
          if (size < 0 || sourceIsSnapshot != (type == EntryType.CLONE)) {
            return "entry "
                + i
                + " starts from "
                + source
                + ", which is not a "
                + (type == EntryType.CLONE ? "snapshot" : "volume");
          }
        }
        if (type == EntryType.SNAPSHOT) {
          snapshots.add(volume);
        }
        sizes.put(volume, size);
        continue;
      }
      long size = sizes.containsKey(volume) ? sizes.get(volume) : currentSize(volume);
      if (size < 0) {
        return "entry " + i + " refers to volume " + volume + ", which does not exist";
      }
      switch (type) {
        case RESIZE_VOLUME -> {
          if (isSnapshot(volume, snapshots)) {
            return "entry " + i + " resizes snapshot " + volume;
          }
          sizes.put(volume, first);
        }
        case DELETE_VOLUME -> sizes.put(volume, -1L);
        case WRITE, TRIM, ZERO -> {
          if (isSnapshot(volume, snapshots)) {
            return "entry " + i + " changes snapshot " + volume;
          }
          if (first < 0 || second <= 0 || first + second > size / Bytes.SECTOR_BYTES) {
            return "entry " + i + " covers sectors outside volume " + volume;
          }
          if (type == EntryType.WRITE
              && BatchHeader.entryDataSector(header, i) + second > dataSectors) {
            return "entry " + i + " has data outside the data area";
          }
        }
        default -> throw new IllegalStateException("unhandled entry type " + type);
      }
    }
    return null;
  }

  /**
   * Applies every entry; the data area starts at log address {@code dataAddress} (in sectors). Call
   * {@link #check} first.
   */
  public void apply(MemorySegment header, MemorySegment data, long dataAddress) {
    state.segments().applying(BatchHeader.sequence(header));
    int entries = BatchHeader.entryCount(header);
    for (int i = 0; i < entries; i++) {
      int volume = BatchHeader.entryVolume(header, i);
      long first = BatchHeader.entryFirst(header, i);
      long second = BatchHeader.entrySecond(header, i);
      switch (BatchHeader.entryType(header, i)) {
        case WRITE ->
            state.applyWrite(
                volume, first, second, dataAddress + BatchHeader.entryDataSector(header, i));
        case TRIM -> state.applyTrim(volume, first, second);
        case ZERO -> state.applyZero(volume, first, second);
        case CREATE_VOLUME -> state.applyCreate(volume, name(header, data, i), first);
        case RESIZE_VOLUME -> state.applyResize(volume, first);
        case DELETE_VOLUME -> state.applyDelete(volume);
        case SNAPSHOT -> state.applySnapshot(volume, name(header, data, i), (int) first);
        case CLONE -> state.applyClone(volume, name(header, data, i), (int) first);
        case RELOCATE ->
            state.applyRelocate(
                volume,
                first,
                BatchHeader.entryRelocatedSectors(header, i),
                second,
                dataAddress + BatchHeader.entryDataSector(header, i));
      }
    }
  }

  /** Whether {@code volume} is a snapshot, or one made earlier in the same batch. */
  private boolean isSnapshot(int volume, Set<Integer> snapshotsInBatch) {
    VolumeState existing = state.volume(volume);
    return snapshotsInBatch.contains(volume) || existing != null && existing.isSnapshot();
  }

  private long currentSize(int volume) {
    VolumeState existing = state.volume(volume);
    return existing == null ? -1 : existing.sizeBytes();
  }

  private static String name(MemorySegment header, MemorySegment data, int index) {
    long start = (long) BatchHeader.entryDataSector(header, index) * Bytes.SECTOR_BYTES;
    byte[] name =
        data.asSlice(start, BatchHeader.entryNameBytes(header, index))
            .toArray(ValueLayout.JAVA_BYTE);
    return new String(name, StandardCharsets.UTF_8);
  }
}
