package io.unblend.logstore.core;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.log.SegmentTable;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;

/**
 * The log cleaner: empties one segment at a time so that its space can be reused. It runs on the
 * storage thread, in steps between client work, and only while free segments are few; only the
 * search of large maps for a victim's live pieces runs elsewhere ({@link LivePieceSearch}).
 *
 * <p>A cycle: choose the segment with the best cost-benefit score {@code (1 - u) * age / (1 + u)}
 * (u: its live fraction, age: batches since it was last written, as in Rosenblum and Ousterhout's
 * LFS), find every map piece that points into it (volumes, snapshots and clones alike), read the
 * union of those log ranges in chunks, and hand each chunk back to the storage loop as a {@link
 * Request.Relocate}: the data is appended once, and each map that still points at the old address
 * is re-pointed. Pieces that clients overwrote meanwhile are skipped when the entry is applied, so
 * the cleaner never needs to stop client I/O. The emptied segment is reused like any other once no
 * map references it and the batches that moved its data are durable (ADR 0008).
 *
 * <p>Pace: at most {@link #inFlightBytesMax} bytes are being moved at a time, four times more when
 * free segments fall to half the start threshold, so cleaning takes a bounded share of the log's
 * bandwidth that rises only as free space falls.
 */
final class Cleaner {
  private static final System.Logger LOG = System.getLogger(Cleaner.class.getName());
  private static final int CHUNK_SECTORS_MAX = 256;

  /** The most log sectors one read of the cleaner covers: several chunks and the gaps between. */
  private static final long SPAN_SECTORS_MAX = 2048;

  /** Dead sectors between two chunks beyond which they are read apart. */
  private static final long SPAN_GAP_SECTORS_MAX = 64;

  /**
   * Chunks are at most this fraction of a segment: the cold head's batches end a segment with less
   * than one chunk unused, so moving a victim's data never takes a whole segment of its own.
   */
  private static final int CHUNKS_PER_SEGMENT_MIN = 16;

  /**
   * Free segments beyond which the cleaner rests even on a large log: every segment kept free
   * leaves the others fuller, and fuller victims cost more to move.
   */
  private static final int MORE_FREE_SEGMENTS_MAX = 8;

  /** Sectors a map holds at a log address: one RELOCATE entry. */
  record MapPiece(int mapId, long startSector, long address, int sectorCount) {}

  private final StoreState state;
  private final SegmentTable segments;
  private final int chunkSectorsMax;
  private final int entriesMax;
  private final long inFlightBytesMax;
  private final LivePieceSearch search;
  private final Deque<Request.Relocate> ready = new ArrayDeque<>();
  private final Deque<LivePieceSearch.Chunk> chunks = new ArrayDeque<>();
  private int victim = -1;

  /** Numbers the cycles, so that what an ended cycle left in flight never acts on a later one. */
  private int cycle;

  private boolean searching;

  private int chunksOutstanding;
  private long bytesInFlight;
  private long segmentsCleaned;
  private final int batchDataBytesMax;

  /** Set when a cycle failed (the log had no room even for moves): wait for freed space. */
  private boolean stalled;

  /**
   * @param inlineSearchExtentsMax maps of more extents than this in all are searched on a thread of
   *     their own
   * @param submit hands a request to the storage thread
   */
  Cleaner(
      StoreState state,
      int batchDataBytesMax,
      int entriesMax,
      long inFlightBytesMax,
      long inlineSearchExtentsMax,
      Consumer<Request> submit) {
    this.state = state;
    this.segments = state.segments();
    this.chunkSectorsMax =
        (int)
            Math.min(
                Math.min(CHUNK_SECTORS_MAX, batchDataBytesMax / Bytes.SECTOR_BYTES),
                segments.sectorsPerSegment() / CHUNKS_PER_SEGMENT_MIN);
    this.entriesMax = entriesMax;
    this.inFlightBytesMax = inFlightBytesMax;
    this.batchDataBytesMax = batchDataBytesMax;
    this.search = new LivePieceSearch(state, chunkSectorsMax, inlineSearchExtentsMax, submit);
  }

  /**
   * A datasync or checkpoint completed: segments may have come free, so a stalled cleaner tries
   * again.
   */
  void spaceMayBeFree() {
    stalled = false;
  }

  /** Relocations read and waiting for a batch; the loop takes them before client requests. */
  Deque<Request.Relocate> ready() {
    return ready;
  }

  /** Whether a segment is being emptied: it must not be reused before the cycle ends. */
  boolean isCleaning(int segment) {
    return segment == victim;
  }

  boolean isActive() {
    return victim >= 0;
  }

  long segmentsCleaned() {
    return segmentsCleaned;
  }

  /**
   * Free segments below which the cleaner works: 1/64 of the log but at most {@link
   * #MORE_FREE_SEGMENTS_MAX}, and never fewer than the reserve plus two. Every free segment the
   * cleaner keeps makes the others fuller: on a 128-segment log at 80 % full, keeping 8 instead of
   * 3 cost 0.7 more bytes moved per client byte (docs/performance.md).
   */
  static int startThreshold(int segmentCount, int reserve) {
    return Math.max(reserve + 2, Math.min(segmentCount / 64, MORE_FREE_SEGMENTS_MAX));
  }

  /**
   * One step: start a cycle when free segments are below the threshold, and start reads of the
   * current victim while the in-flight budget allows.
   *
   * @param freeSegments segments no map references (some may still wait for a checkpoint)
   * @param roomBytes log bytes the cleaner's moves can take now: reusable segments and the rest of
   *     the cold head's segment
   * @param isHead whether a segment is written into by a head: never a victim
   * @param completedSequence the last batch whose write completed; younger segments are skipped
   * @param reuseFloor the oldest batch a checkpoint slot replays from: a segment with a batch this
   *     young waits for checkpoints once emptied, so older victims go first
   * @param urgent clients wait for space: start a cycle whatever the threshold, at full pace
   * @return whether a cycle is under way, so that space is coming
   */
  boolean step(
      int freeSegments,
      LongSupplier roomBytes,
      int reserve,
      IntPredicate isHead,
      long completedSequence,
      long reuseFloor,
      ReadPath reads,
      boolean urgent) {
    int threshold = startThreshold(segments.segmentCount(), reserve);
    if (victim < 0) {
      if (freeSegments >= threshold && !urgent) {
        return false;
      }
      int chosen = bestVictim(roomBytes.getAsLong(), isHead, completedSequence, reuseFloor);
      if (chosen < 0) {
        return false;
      }
      victim = chosen;
      cycle++;
      startSearch();
    }
    if (searching) {
      return true;
    }
    long budget = urgent || freeSegments <= threshold / 2 ? inFlightBytesMax * 4 : inFlightBytesMax;
    while (!chunks.isEmpty() && bytesInFlight < budget) {
      readSpan(reads, budget);
    }
    finishIfDone();
    return victim >= 0 || !isIdle();
  }

  /**
   * Reads the next chunk, and the chunks that follow it closely in the log, with one read: a victim
   * left by random overwrites holds hundreds of short live runs, and a read each cost more in
   * system calls and device requests than reading the dead sectors between them. Only the chunks
   * are moved.
   */
  private void readSpan(ReadPath reads, long budget) {
    List<LivePieceSearch.Chunk> span = new ArrayList<>();
    LivePieceSearch.Chunk first = chunks.poll();
    span.add(first);
    long spanEnd = first.address() + first.sectorCount();
    long movedBytes = (long) first.sectorCount() * Bytes.SECTOR_BYTES;
    while (!chunks.isEmpty() && bytesInFlight + movedBytes < budget) {
      LivePieceSearch.Chunk next = chunks.peek();
      long nextEnd = next.address() + next.sectorCount();
      if (next.address() < spanEnd
          || next.address() - spanEnd > SPAN_GAP_SECTORS_MAX
          || nextEnd - first.address() > SPAN_SECTORS_MAX) {
        break;
      }
      span.add(chunks.poll());
      spanEnd = nextEnd;
      movedBytes += (long) next.sectorCount() * Bytes.SECTOR_BYTES;
    }
    // Whole blocks around the span: the cleaner reads with O_DIRECT.
    long readStart = first.address() / Bytes.SECTORS_PER_BLOCK * Bytes.SECTORS_PER_BLOCK;
    long readEnd = Bytes.roundUpToBlock(spanEnd * Bytes.SECTOR_BYTES) / Bytes.SECTOR_BYTES;
    MemorySegment buffer =
        Arena.ofAuto().allocate((readEnd - readStart) * Bytes.SECTOR_BYTES, Bytes.BLOCK_BYTES);
    Request.Read read = new Request.Read(-1, 0, buffer, null);
    bytesInFlight += movedBytes;
    chunksOutstanding += span.size();
    int chunkCycle = cycle;
    read.done.whenComplete(
        (ignored, failure) -> {
          for (LivePieceSearch.Chunk chunk : span) {
            MemorySegment data =
                buffer.asSlice(
                    (chunk.address() - readStart) * Bytes.SECTOR_BYTES,
                    (long) chunk.sectorCount() * Bytes.SECTOR_BYTES);
            chunkRead(chunkCycle, chunk, data, failure);
          }
        });
    reads.startLogRead(read, readStart);
  }

  /**
   * The segment with the best score, preferring those that are reusable as soon as they are empty
   * (all their batches older than {@code reuseFloor}); -1 if none is worth it.
   */
  private int bestVictim(
      long roomBytes, IntPredicate isHead, long completedSequence, long reuseFloor) {
    if (stalled || !worthCleaning()) {
      return -1;
    }
    long perSegment = segments.sectorsPerSegment();
    long segmentBytes = perSegment * Bytes.SECTOR_BYTES;
    long newest = completedSequence + 1;
    int best = -1;
    double bestScore = 0;
    int bestWaiting = -1;
    double bestWaitingScore = 0;
    for (int s = 0; s < segments.segmentCount(); s++) {
      long occupied = segments.occupiedSectors(s);
      if (isHead.test(s)
          || occupied == 0
          || occupied >= perSegment
          || segments.lastWritten(s) > completedSequence
          || movedBytes(occupied) > roomBytes
          || movedBytes(occupied) + segmentEndBytesMax() > segmentBytes * 15 / 16) {
        continue;
      }
      double used = (double) occupied / perSegment;
      double age = newest - segments.lastWritten(s);
      double score = (1 - used) * age / (1 + used);
      if (segments.lastWritten(s) >= reuseFloor) {
        if (score > bestWaitingScore) {
          bestWaitingScore = score;
          bestWaiting = s;
        }
      } else if (score > bestScore) {
        bestScore = score;
        best = s;
      }
    }
    return best >= 0 ? best : bestWaiting;
  }

  /**
   * Whether packing the live data tightly could leave clients a free segment beyond the head and
   * {@code reserve}: when it could not, waiting writes get ENOSPC rather than wait for a cleaner
   * that cannot help them.
   */
  boolean couldFreeForClients(int reserve) {
    return segments.segmentCount() - packedSegments() - 1 > reserve;
  }

  /**
   * Whether packing the live data tightly would free a segment that is not free yet: when it would
   * not, moving data only wears the log.
   */
  private boolean worthCleaning() {
    return segments.segmentCount() - segments.unreferencedSegments() > packedSegments();
  }

  /** Segments the live data would fill if it were packed tightly. */
  private long packedSegments() {
    long perSegment = segments.sectorsPerSegment();
    long live = 0;
    for (int s = 0; s < segments.segmentCount(); s++) {
      live += segments.occupiedSectors(s);
    }
    return (live + perSegment - 1) / perSegment;
  }

  /** Log bytes that moving {@code sectors} live sectors takes at most, batch headers included. */
  private long movedBytes(long sectors) {
    long data = sectors * Bytes.SECTOR_BYTES;
    long batches = data / Math.min(batchDataBytesMax, CHUNK_SECTORS_MAX * Bytes.SECTOR_BYTES) + 1;
    return data + batches * (Bytes.BLOCK_BYTES * 2);
  }

  /**
   * The most of a segment's end that the cold head may leave unused: less than a chunk and the
   * header blocks of the batch that would have held it.
   */
  private long segmentEndBytesMax() {
    return (long) chunkSectorsMax * Bytes.SECTOR_BYTES + 2L * Bytes.BLOCK_BYTES;
  }

  /**
   * Starts the search for the victim's live pieces; when it runs on the search's own thread, its
   * result comes back through {@link #searched}.
   */
  private void startSearch() {
    List<LivePieceSearch.Chunk> found = search.start(cycle, victim);
    searching = found == null;
    if (found != null) {
      chunks.addAll(found);
    }
  }

  /** A search on the search's own thread finished: its chunks are read from the next step on. */
  void searched(Request.VictimSearched result) {
    if (!searching || result.cycle() != cycle) {
      return; // A cycle that has ended since.
    }
    searching = false;
    if (result.failure() != null) {
      // What would have stopped the store had the search run on this thread.
      throw new IllegalStateException(
          "searching segment " + victim + " for live data failed", result.failure());
    }
    List<int[]> created = mapsCreatedSince(result.searchedIds());
    for (LivePieceSearch.Chunk chunk : result.chunks()) {
      chunks.add(created.isEmpty() ? chunk : withPiecesFor(created, chunk));
    }
  }

  /**
   * Snapshots and clones made while the search ran, each with the searched map it started from
   * (along snapshots of clones and clones of snapshots): pairs of (new id, searched origin id).
   */
  private List<int[]> mapsCreatedSince(BitSet searchedIds) {
    List<int[]> created = new ArrayList<>();
    for (VolumeState volume : state.volumes()) {
      if (searchedIds.get(volume.id())) {
        continue;
      }
      VolumeState origin = volume;
      while (origin != null && !searchedIds.get(origin.id())) {
        origin = origin.originId() == 0 ? null : state.volume(origin.originId());
      }
      if (origin != null) {
        created.add(new int[] {volume.id(), origin.id()});
      }
    }
    return created;
  }

  /**
   * The chunk's pieces, and for each map made during the search a copy of its origin's pieces: it
   * shares them, and moving them for the origin alone would leave the new map on the old copy, the
   * data no longer shared. A piece the new map no longer holds is skipped when the move is applied,
   * as any stale piece is.
   */
  private static LivePieceSearch.Chunk withPiecesFor(
      List<int[]> created, LivePieceSearch.Chunk chunk) {
    List<MapPiece> pieces = new ArrayList<>(chunk.pieces());
    for (int[] map : created) {
      for (MapPiece piece : chunk.pieces()) {
        if (piece.mapId() == map[1]) {
          pieces.add(
              new MapPiece(map[0], piece.startSector(), piece.address(), piece.sectorCount()));
        }
      }
    }
    return new LivePieceSearch.Chunk(chunk.address(), chunk.sectorCount(), pieces);
  }

  /** Stops the search's thread, if any; the storage thread has stopped. */
  void close() {
    search.close();
  }

  private void chunkRead(
      int chunkCycle, LivePieceSearch.Chunk chunk, MemorySegment buffer, Throwable failure) {
    if (failure != null) {
      chunkDone(chunkCycle, chunk, failure);
      return;
    }
    // A chunk shared by more maps than a batch has entries moves in several requests.
    List<MapPiece> pieces = chunk.pieces();
    int groups = (pieces.size() + entriesMax - 1) / entriesMax;
    int[] remaining = {groups};
    boolean[] reported = {false};
    for (int g = 0; g < groups; g++) {
      List<MapPiece> group =
          pieces.subList(g * entriesMax, Math.min(pieces.size(), (g + 1) * entriesMax));
      Request.Relocate relocate = new Request.Relocate(chunk.address(), buffer, group);
      relocate.done.whenComplete(
          (ignored, failed) -> {
            remaining[0]--;
            if (!reported[0] && (failed != null || remaining[0] == 0)) {
              reported[0] = true;
              chunkDone(chunkCycle, chunk, failed);
            }
          });
      ready.add(relocate);
    }
  }

  private void chunkDone(int chunkCycle, LivePieceSearch.Chunk chunk, Throwable failure) {
    chunksOutstanding--;
    bytesInFlight -= (long) chunk.sectorCount() * Bytes.SECTOR_BYTES;
    if (failure != null && victim >= 0 && chunkCycle == cycle) {
      LOG.log(
          Level.WARNING,
          "cleaning segment {0} stopped: {1}; it will be tried again",
          victim,
          failure.getMessage());
      chunks.clear();
      victim = -1;
      stalled = true;
    }
    finishIfDone();
  }

  private void finishIfDone() {
    if (victim >= 0 && !searching && chunks.isEmpty() && chunksOutstanding == 0) {
      LOG.log(
          Level.DEBUG,
          "cleaned segment {0}; {1} references left in it",
          victim,
          segments.liveSectors(victim));
      segmentsCleaned++;
      victim = -1;
    }
  }

  /** Whether nothing is being read or waits for a batch. */
  boolean isIdle() {
    return ready.isEmpty() && chunksOutstanding == 0;
  }
}
