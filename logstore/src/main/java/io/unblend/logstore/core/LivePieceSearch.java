package io.unblend.logstore.core;

import io.unblend.logstore.map.ExtentMap;
import io.unblend.logstore.map.LogRangeFinder;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Finds every map piece in a segment the cleaner empties (volumes, snapshots and clones alike) and
 * groups the log ranges they cover into chunks to read and move. A map is ordered by logical
 * sector, not by address, so this looks at every extent of every map: about 1.4 ms per 100 000
 * extents. Small maps are searched at once on the storage thread; larger ones on a thread of this
 * class's own, over frozen copies of the maps, so that client I/O never waits for the search (ADR
 * 0011).
 */
final class LivePieceSearch {
  /** Contiguous live log sectors, read and appended together, and the map pieces in them. */
  record Chunk(long address, int sectorCount, List<Cleaner.MapPiece> pieces) {}

  /** A volume's map as the search sees it: the live one, or a frozen copy. */
  private record SearchedMap(int volumeId, ExtentMap map) {}

  private final StoreState state;
  private final int chunkSectorsMax;
  private final long inlineExtentsMax;
  private final Consumer<Request> submit;
  private ExecutorService thread;

  /**
   * @param chunkSectorsMax the most sectors one chunk covers
   * @param inlineExtentsMax maps of more extents than this in all are searched on this class's
   *     thread
   * @param submit hands a request to the storage thread
   */
  LivePieceSearch(
      StoreState state, int chunkSectorsMax, long inlineExtentsMax, Consumer<Request> submit) {
    this.state = state;
    this.chunkSectorsMax = chunkSectorsMax;
    this.inlineExtentsMax = inlineExtentsMax;
    this.submit = submit;
  }

  /**
   * Searches {@code segment}, on the storage thread.
   *
   * @return the chunks, found at once; or null when the search runs on this class's thread, whose
   *     result comes to the storage thread as a {@link Request.VictimSearched} of {@code cycle}
   */
  List<Chunk> start(int cycle, int segment) {
    long first = (long) segment * state.segments().sectorsPerSegment();
    long end = first + state.segments().sectorsPerSegment();
    boolean inline = state.extentCount() <= inlineExtentsMax;
    List<SearchedMap> maps = new ArrayList<>();
    for (VolumeState volume : state.volumes()) {
      maps.add(new SearchedMap(volume.id(), inline ? volume.map() : volume.map().snapshot()));
    }
    if (inline) {
      return gather(first, end, maps);
    }
    BitSet searchedIds = new BitSet();
    for (SearchedMap searched : maps) {
      searchedIds.set(searched.volumeId());
    }
    thread()
        .execute(
            () -> {
              List<Chunk> found = null;
              Throwable failure = null;
              try {
                found = gather(first, end, maps);
              } catch (Throwable e) { // Even an OutOfMemoryError: the cleaner waits for an answer.
                failure = e;
              }
              submit.accept(new Request.VictimSearched(cycle, searchedIds, found, failure));
            });
    return null;
  }

  private ExecutorService thread() {
    if (thread == null) {
      thread =
          Executors.newSingleThreadExecutor(
              Thread.ofPlatform().name("unblend-cleaner").daemon().factory());
    }
    return thread;
  }

  /** Stops the thread, if any; the storage thread has stopped. */
  void close() {
    if (thread != null) {
      thread.shutdownNow();
    }
  }

  /**
   * Finds every map piece in the log range {@code [first, end)} and groups the union of their
   * ranges into chunks. Reads the maps only, so it may run on any thread while they do not change.
   */
  private List<Chunk> gather(long first, long end, List<SearchedMap> maps) {
    List<Cleaner.MapPiece> pieces = new ArrayList<>();
    // Snapshots and clones share most of their nodes: the finder reads each shared node once.
    LogRangeFinder finder = new LogRangeFinder(first, end);
    for (SearchedMap searched : maps) {
      finder.find(
          searched.map(),
          (startSector, count, address) ->
              pieces.add(
                  new Cleaner.MapPiece(searched.volumeId(), startSector, address, (int) count)));
    }
    pieces.sort(Comparator.comparingLong(Cleaner.MapPiece::address));
    // The union of the pieces' log ranges, in chunks; then each piece, clipped to every chunk it
    // overlaps. Pieces of several maps may share sectors, so a chunk is never cut by one piece.
    List<long[]> ranges = new ArrayList<>();
    long runStart = -1;
    long runEnd = -1;
    for (Cleaner.MapPiece piece : pieces) {
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
    List<List<Cleaner.MapPiece>> inChunk = new ArrayList<>();
    for (int c = 0; c < ranges.size(); c++) {
      inChunk.add(new ArrayList<>());
    }
    int firstChunk = 0;
    for (Cleaner.MapPiece piece : pieces) {
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
                new Cleaner.MapPiece(
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
}
