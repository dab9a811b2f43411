package io.unblend.logstore.core;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.log.SegmentTable;
import io.unblend.logstore.map.ExtentMap;
import io.unblend.logstore.map.LogRangeFinder;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;

/**
 * The log cleaner: empties one segment at a time so that its space can be reused. It runs on the
 * storage thread, in steps between client work, and only while free segments are few.
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
 *
 * <p>The search looks at every extent of every map, so its time grows with the maps: about 1.4 ms
 * for 100 000 extents, a third of a second at the 20-million-extent limit. Small maps are searched
 * on the storage thread at once; when the maps hold more than {@code inlineSearchExtentsMax}
 * extents, the search runs on the cleaner's own thread over frozen copies of them (O(1) each, as
 * for a checkpoint), and client I/O goes on meanwhile. What changes during the search is handled as
 * for the reads that follow it: a piece overwritten since is skipped when its move is applied, and
 * one shared by a snapshot taken since keeps the segment referenced, to be cleaned again later.
 */
final class Cleaner {
  private static final System.Logger LOG = System.getLogger(Cleaner.class.getName());
  private static final int CHUNK_SECTORS_MAX = 256;

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

  /** Contiguous live log sectors, read and appended together, and the map pieces in them. */
  record Chunk(long address, int sectorCount, List<MapPiece> pieces) {}

  /** A volume's map as the search sees it: the live one, or a frozen copy. */
  private record SearchedMap(int volumeId, ExtentMap map) {}

  private final StoreState state;
  private final SegmentTable segments;
  private final int chunkSectorsMax;
  private final int entriesMax;
  private final long inFlightBytesMax;
  private final long inlineSearchExtentsMax;
  private final Consumer<Request> storageThread;
  private ExecutorService searchThread;
  private final Deque<Request.Relocate> ready = new ArrayDeque<>();
  private final Deque<Chunk> chunks = new ArrayDeque<>();
  private int victim = -1;
  private boolean searching;
  private int chunksOutstanding;
  private long bytesInFlight;
  private long segmentsCleaned;
  private final int batchDataBytesMax;

  /** Set when a cycle failed (the log had no room even for moves): wait for freed space. */
  private boolean stalled;

  /**
   * @param inlineSearchExtentsMax maps of more extents than this in all are searched on the
   *     cleaner's own thread
   * @param storageThread hands a finished background search to the storage thread
   */
  Cleaner(
      StoreState state,
      int batchDataBytesMax,
      int entriesMax,
      long inFlightBytesMax,
      long inlineSearchExtentsMax,
      Consumer<Request> storageThread) {
    this.state = state;
    this.inlineSearchExtentsMax = inlineSearchExtentsMax;
    this.storageThread = storageThread;
    this.segments = state.segments();
    this.chunkSectorsMax =
        (int)
            Math.min(
                Math.min(CHUNK_SECTORS_MAX, batchDataBytesMax / Bytes.SECTOR_BYTES),
                segments.sectorsPerSegment() / CHUNKS_PER_SEGMENT_MIN);
    this.entriesMax = entriesMax;
    this.inFlightBytesMax = inFlightBytesMax;
    this.batchDataBytesMax = batchDataBytesMax;
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
      search(chosen);
    }
    if (searching) {
      return true;
    }
    long budget = urgent || freeSegments <= threshold / 2 ? inFlightBytesMax * 4 : inFlightBytesMax;
    while (!chunks.isEmpty() && bytesInFlight < budget) {
      Chunk chunk = chunks.poll();
      long bytes = (long) chunk.sectorCount() * Bytes.SECTOR_BYTES;
      MemorySegment buffer = Arena.ofAuto().allocate(bytes, Bytes.BLOCK_BYTES);
      Request.Read read = new Request.Read(-1, 0, buffer, null);
      bytesInFlight += bytes;
      chunksOutstanding++;
      read.done.whenComplete((ignored, failure) -> chunkRead(chunk, buffer, failure));
      reads.startLogRead(read, chunk.address());
    }
    finishIfDone();
    return victim >= 0 || !isIdle();
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
   * Starts the search for the victim's live pieces: at once on this thread when the maps are small,
   * else on the cleaner's thread over frozen copies of the maps.
   */
  private void search(int segment) {
    long first = (long) segment * segments.sectorsPerSegment();
    long end = first + segments.sectorsPerSegment();
    List<SearchedMap> maps = new ArrayList<>();
    boolean inline = state.extentCount() <= inlineSearchExtentsMax;
    for (VolumeState volume : state.volumes()) {
      maps.add(new SearchedMap(volume.id(), inline ? volume.map() : volume.map().snapshot()));
    }
    if (inline) {
      chunks.addAll(gather(first, end, maps));
      return;
    }
    searching = true;
    searchThread()
        .execute(
            () -> {
              List<Chunk> found = null;
              Throwable failure = null;
              try {
                found = gather(first, end, maps);
              } catch (RuntimeException e) {
                failure = e;
              }
              storageThread.accept(new Request.VictimSearched(segment, found, failure));
            });
  }

  private ExecutorService searchThread() {
    if (searchThread == null) {
      searchThread =
          Executors.newSingleThreadExecutor(
              runnable -> {
                Thread thread = new Thread(runnable, "unblend-cleaner");
                thread.setDaemon(true);
                return thread;
              });
    }
    return searchThread;
  }

  /** A search on the cleaner's thread finished: its chunks are read from the next step on. */
  void searched(Request.VictimSearched result) {
    if (!searching || result.segment() != victim) {
      return;
    }
    searching = false;
    if (result.failure() != null) {
      LOG.log(
          Level.ERROR,
          "searching segment " + victim + " for live data failed; it will be tried again",
          result.failure());
      victim = -1;
      stalled = true;
      return;
    }
    chunks.addAll(result.chunks());
  }

  /** Stops the search thread, if any; the storage thread has stopped. */
  void close() {
    if (searchThread != null) {
      searchThread.shutdownNow();
    }
  }

  /**
   * Finds every map piece in the log range {@code [first, end)} and groups the union of their
   * ranges into chunks. Reads the maps only, so it may run on any thread while they do not change.
   */
  private List<Chunk> gather(long first, long end, List<SearchedMap> maps) {
    List<MapPiece> pieces = new ArrayList<>();
    // Snapshots and clones share most of their nodes: the finder reads each shared node once.
    LogRangeFinder finder = new LogRangeFinder(first, end);
    for (SearchedMap searched : maps) {
      finder.find(
          searched.map(),
          (startSector, count, address) ->
              pieces.add(new MapPiece(searched.volumeId(), startSector, address, (int) count)));
    }
    pieces.sort(Comparator.comparingLong(MapPiece::address));
    // The union of the pieces' log ranges, in chunks; then each piece, clipped to every chunk it
    // overlaps. Pieces of several maps may share sectors, so a chunk is never cut by one piece.
    List<long[]> ranges = new ArrayList<>();
    long runStart = -1;
    long runEnd = -1;
    for (MapPiece piece : pieces) {
      if (runStart >= 0 && piece.address() > runEnd) {
        addRanges(ranges, runStart, runEnd);
        runStart = -1;
      }
      if (runStart < 0) {
        runStart = piece.address();
        runEnd = piece.address();
      }
      runEnd = Math.max(runEnd, piece.address() + piece.sectorCount());
    }
    if (runStart >= 0) {
      addRanges(ranges, runStart, runEnd);
    }
    List<List<MapPiece>> inChunk = new ArrayList<>();
    for (int c = 0; c < ranges.size(); c++) {
      inChunk.add(new ArrayList<>());
    }
    int firstChunk = 0;
    for (MapPiece piece : pieces) {
      long pieceEnd = piece.address() + piece.sectorCount();
      while (ranges.get(firstChunk)[1] <= piece.address()) {
        firstChunk++; // Pieces come in address order: earlier chunks are done.
      }
      for (int c = firstChunk; c < ranges.size() && ranges.get(c)[0] < pieceEnd; c++) {
        long from = Math.max(piece.address(), ranges.get(c)[0]);
        long to = Math.min(pieceEnd, ranges.get(c)[1]);
        inChunk
            .get(c)
            .add(
                new MapPiece(
                    piece.mapId(),
                    piece.startSector() + (from - piece.address()),
                    from,
                    (int) (to - from)));
      }
    }
    List<Chunk> found = new ArrayList<>(ranges.size());
    for (int c = 0; c < ranges.size(); c++) {
      long[] range = ranges.get(c);
      found.add(new Chunk(range[0], (int) (range[1] - range[0]), inChunk.get(c)));
    }
    return found;
  }

  /** Cuts the run of live sectors {@code start..end} into chunks of at most the chunk size. */
  private void addRanges(List<long[]> ranges, long start, long end) {
    for (long from = start; from < end; from += chunkSectorsMax) {
      ranges.add(new long[] {from, Math.min(end, from + chunkSectorsMax)});
    }
  }

  private void chunkRead(Chunk chunk, MemorySegment buffer, Throwable failure) {
    if (failure != null) {
      chunkDone(chunk, failure);
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
              chunkDone(chunk, failed);
            }
          });
      ready.add(relocate);
    }
  }

  private void chunkDone(Chunk chunk, Throwable failure) {
    chunksOutstanding--;
    bytesInFlight -= (long) chunk.sectorCount() * Bytes.SECTOR_BYTES;
    if (failure != null && victim >= 0) {
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
