package io.unblend.logstore.core;

import io.unblend.logstore.BlockStatusRun;
import io.unblend.logstore.ChangedRun;
import io.unblend.logstore.StoreStatus;
import io.unblend.logstore.checkpoint.CheckpointImage;
import io.unblend.logstore.log.EntryType;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** What other threads ask of the storage thread. Each carries the future it completes. */
public sealed interface Request {

  /**
   * A request that becomes batch entries. It may be split over several batches; it completes when
   * the last part's batch is written (and, with {@code fua}, durable).
   */
  abstract sealed class Logged implements Request
      permits Write, Range, CreateVolume, ResizeVolume, DeleteVolume, Snapshot, Clone, Relocate {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    final boolean fua;

    /** Parts in batches not yet complete. */
    int partsInFlight;

    /** Whether every part has been put into a batch. */
    boolean fullyAdded;

    /** The sequence of the batch that holds the last part. */
    long lastSequence;

    /** Bytes to give back to the in-flight limit on completion. */
    final long admittedBytes;

    Logged(boolean fua, long admittedBytes) {
      this.fua = fua;
      this.admittedBytes = admittedBytes;
    }

    public CompletableFuture<Void> done() {
      return done;
    }
  }

  /** Data for sectors of a volume; the caller leaves {@code data} alone until completion. */
  final class Write extends Logged {
    final int volumeId;
    final long startSector;
    final MemorySegment data;

    /** Sectors already put into batches. */
    long addedSectors;

    public Write(int volumeId, long startSector, MemorySegment data, boolean fua) {
      super(fua, data.byteSize());
      this.volumeId = volumeId;
      this.startSector = startSector;
      this.data = data;
    }
  }

  /** TRIM (a hole) or ZERO (allocated zeros) over a range of sectors. */
  final class Range extends Logged {
    final EntryType type;
    final int volumeId;
    final long startSector;
    final long sectorCount;

    public Range(EntryType type, int volumeId, long startSector, long sectorCount, boolean fua) {
      super(fua, 0);
      this.type = type;
      this.volumeId = volumeId;
      this.startSector = startSector;
      this.sectorCount = sectorCount;
    }
  }

  /** A new volume; durable before it completes. */
  final class CreateVolume extends Logged {
    final String name;
    final long sizeBytes;
    int volumeId = -1;

    public CreateVolume(String name, long sizeBytes) {
      super(true, 0);
      this.name = name;
      this.sizeBytes = sizeBytes;
    }

    public int volumeId() {
      return volumeId;
    }
  }

  final class ResizeVolume extends Logged {
    final int volumeId;
    final long sizeBytes;

    public ResizeVolume(int volumeId, long sizeBytes) {
      super(true, 0);
      this.volumeId = volumeId;
      this.sizeBytes = sizeBytes;
    }
  }

  final class DeleteVolume extends Logged {
    final int volumeId;

    public DeleteVolume(int volumeId) {
      super(true, 0);
      this.volumeId = volumeId;
    }
  }

  /**
   * Snapshots of one or more volumes, all in one batch: one log position, so together they are
   * crash-consistent (a group snapshot). Durable before it completes.
   */
  final class Snapshot extends Logged {
    final int[] sourceIds;
    final List<String> names;
    final int[] snapshotIds;

    public Snapshot(int[] sourceIds, List<String> names) {
      super(true, 0);
      this.sourceIds = sourceIds.clone();
      this.names = List.copyOf(names);
      this.snapshotIds = new int[sourceIds.length];
    }

    public int[] snapshotIds() {
      return snapshotIds.clone();
    }
  }

  /** A writable volume starting from a snapshot; durable before it completes. */
  final class Clone extends Logged {
    final int snapshotId;
    final String name;
    int volumeId = -1;

    public Clone(int snapshotId, String name) {
      super(true, 0);
      this.snapshotId = snapshotId;
      this.name = name;
    }

    public int volumeId() {
      return volumeId;
    }
  }

  /**
   * Live log sectors the cleaner read from a segment it empties, from {@code address} on: written
   * once, and re-pointed in every map listed where that map still references them.
   */
  final class Relocate extends Logged {
    final long address;
    final MemorySegment data;
    final List<Cleaner.MapPiece> pieces;

    Relocate(long address, MemorySegment data, List<Cleaner.MapPiece> pieces) {
      super(false, 0);
      this.address = address;
      this.data = data;
      this.pieces = List.copyOf(pieces);
    }
  }

  /**
   * Reads sectors of a volume into {@code into}; with {@code runs}, also collects the allocation
   * runs of the range as the read found them.
   */
  final class Read implements Request {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    final int volumeId;
    final long startSector;
    final MemorySegment into;
    final BlockStatusRuns runs;
    int piecesInFlight;
    Throwable failure;

    public Read(int volumeId, long startSector, MemorySegment into, BlockStatusRuns runs) {
      this.volumeId = volumeId;
      this.startSector = startSector;
      this.into = into;
      this.runs = runs;
    }

    public CompletableFuture<Void> done() {
      return done;
    }
  }

  /** Completes once every write completed before it is durable. */
  record Flush(CompletableFuture<Void> done) implements Request {}

  record BlockStatus(
      int volumeId,
      long startSector,
      long sectorCount,
      CompletableFuture<List<BlockStatusRun>> done)
      implements Request {}

  /** The runs of {@code volumeId} that differ from snapshot {@code baseId} over a range. */
  record Changes(
      int volumeId,
      int baseId,
      long startSector,
      long sectorCount,
      CompletableFuture<List<ChangedRun>> done)
      implements Request {}

  record Status(CompletableFuture<StoreStatus> done) implements Request {}

  /** A consistent list of the volumes. */
  record ListVolumes(CompletableFuture<List<VolumeSummary>> done) implements Request {}

  /**
   * The checkpointer finished a checkpoint of {@code bytes} (or failed: {@code failure} is
   * non-null).
   */
  record CheckpointWritten(int slot, CheckpointImage image, long bytes, Throwable failure)
      implements Request {}

  /**
   * {@link LivePieceSearch}'s thread finished searching the victim of cleaning cycle {@code cycle}
   * for live pieces: their chunks, or the failure; {@code searchedIds} are the volumes, snapshots
   * and clones whose maps it looked at.
   */
  record VictimSearched(
      int cycle, BitSet searchedIds, List<LivePieceSearch.Chunk> chunks, Throwable failure)
      implements Request {}

  /** Finish everything, write a last checkpoint, stop. */
  record Shutdown(CompletableFuture<Void> done) implements Request {}
}
