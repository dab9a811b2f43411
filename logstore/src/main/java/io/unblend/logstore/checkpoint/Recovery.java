package io.unblend.logstore.checkpoint;

import io.unblend.logstore.core.BatchApplier;
import io.unblend.logstore.core.StoreState;
import io.unblend.logstore.core.VolumeState;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.CorruptStoreException;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.logstore.log.BatchHeader;
import io.unblend.logstore.log.LogPosition;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds the store's state at open: the newest valid checkpoint, then every batch after it in
 * sequence, stopping at the first that is missing, torn, corrupt, out of sequence or from an older
 * epoch. What it discards is only ever data that no flush acknowledged: a batch is complete on disk
 * before any flush that covers it is answered.
 */
public final class Recovery {
  private final StoreLayout layout;
  private final BlockingIo io;
  private final Arena arena = Arena.ofConfined();
  private final int segmentBytes;

  /** Stop reasons that start with this mean a bad batch, not the end of the log. */
  public static final String CORRUPT = "corrupt ";

  private final MemorySegment buffer;
  private final LogWindows log;
  private Map<Long, List<long[]>> segmentStartsBySequence;
  private long maxEpochSeen;
  private long maxStartEpoch;

  /** The state to continue from and where the next batch goes. */
  public record Result(
      StoreState state,
      long nextBatchSequence,
      LogPosition head,
      LogPosition coldHead,
      long nextEpoch,
      int checkpointSlot,
      long checkpointSequence,
      long[] slotNextBatchSequences,
      RecoveryReport report) {}

  public Recovery(StoreLayout layout, BlockingIo io) {
    this.layout = layout;
    this.io = io;
    this.segmentBytes = layout.superblock().segmentBytes();
    this.buffer = arena.allocate(1 << 20, Bytes.BLOCK_BYTES);
    this.log = new LogWindows(layout, io, arena);
  }

  public Result run() throws NativeIoException, CorruptStoreException {
    long started = System.nanoTime();
    try {
      List<String> problems = new ArrayList<>();
      CheckpointImage[] images = new CheckpointImage[2];
      for (int slot = 0; slot < 2; slot++) {
        try {
          images[slot] =
              CheckpointFormat.read(
                  io,
                  layout.checkpointSlot(slot),
                  buffer,
                  layout.superblock().storeId(),
                  segmentBytes);
        } catch (CorruptStoreException e) {
          problems.add("checkpoint slot " + slot + " not used: " + e.getMessage());
        }
      }
      int chosen = newest(images);
      if (chosen < 0) {
        throw new CorruptStoreException(
            "no valid checkpoint in either slot: " + String.join("; ", problems));
      }
      long[] slotNext = new long[2];
      for (int slot = 0; slot < 2; slot++) {
        slotNext[slot] = images[slot] == null ? Long.MAX_VALUE : images[slot].nextBatchSequence();
      }
      CheckpointImage image = images[chosen];
      maxEpochSeen =
          Math.max(image.epoch(), images[1 - chosen] == null ? 0 : images[1 - chosen].epoch());

      StoreState state = new StoreState(image.segments(), image.nextVolumeId());
      for (VolumeState volume : image.volumes()) {
        state.restore(volume);
      }
      Replay replay = new Replay(state, image);
      String stopReason = replay.run();
      if (stopReason.startsWith(CORRUPT)) {
        refuseReusedReferences(state, replay.sequence, stopReason);
      }
      long nextEpoch = Math.max(maxEpochSeen, segmentStartEpochs()) + 1;
      RecoveryReport report =
          new RecoveryReport(
              chosen,
              image.checkpointSequence(),
              replay.batches,
              replay.bytes,
              stopReason,
              List.copyOf(problems),
              System.nanoTime() - started);
      return new Result(
          state,
          replay.sequence,
          replay.head,
          replay.coldHead,
          nextEpoch,
          chosen,
          image.checkpointSequence(),
          slotNext,
          report);
    } finally {
      log.close();
      arena.close();
    }
  }

  private static int newest(CheckpointImage[] images) {
    if (images[0] == null) {
      return images[1] == null ? -1 : 1;
    }
    if (images[1] == null) {
      return 0;
    }
    return images[0].checkpointSequence() >= images[1].checkpointSequence() ? 0 : 1;
  }

  /**
   * Replays batches from a checkpoint's position. The log has two heads, one for client batches and
   * one for the cleaner's (cold) batches, sharing one sequence: the next batch continues one of
   * them, or starts a fresh segment, whose batch says which head moved there.
   */
  private final class Replay {
    private final StoreState state;
    private long sequence;
    private LogPosition head;
    private LogPosition coldHead;
    private long lastEpoch;
    private long batches;
    private long bytes;

    Replay(StoreState state, CheckpointImage image) {
      this.state = state;
      this.sequence = image.nextBatchSequence();
      this.head = image.head();
      this.coldHead = image.coldHead();
      this.lastEpoch = image.epoch();
    }

    /** Replays until the log ends or a batch is bad; returns why it stopped. */
    String run() throws NativeIoException {
      while (true) {
        String problem = tryApplyAt(head, false);
        if (problem == null) {
          continue;
        }
        String coldProblem = tryApplyAt(coldHead, true);
        if (coldProblem == null) {
          continue;
        }
        if (movedToFreshSegment()) {
          continue;
        }
        return problem.startsWith(CORRUPT) || !coldProblem.startsWith(CORRUPT)
            ? stopReason(problem, head)
            : stopReason(coldProblem, coldHead);
      }
    }

    /**
     * Not at either head: the writer may have gone on in a fresh segment. Several segments may
     * start with this sequence (leftovers of discarded tails); the newest epoch that checks wins.
     */
    private boolean movedToFreshSegment() throws NativeIoException {
      for (long[] candidate : segmentsStartingWith(sequence)) {
        LogPosition start = new LogPosition((int) candidate[0], 0);
        if (candidate[1] < lastEpoch || start.equals(head) || start.equals(coldHead)) {
          continue; // Older, or tried already as a head's position.
        }
        if (tryApplyAt(start, null) == null) {
          return true;
        }
      }
      return false;
    }

    private String stopReason(String problem, LogPosition at) {
      String where =
          at.isNone() ? "" : " (segment " + at.segment() + ", offset " + at.offsetBytes() + ")";
      return problem.startsWith(CORRUPT)
          ? problem + where + "; it and anything after it were discarded"
          : "end of log: no batch with sequence " + sequence + where;
    }

    /**
     * Applies the batch at {@code at} if it is the next one and continues the head expected there
     * ({@code cold}; null in a fresh segment, where the batch names its head), moving that head
     * past it; else says why not.
     */
    private String tryApplyAt(LogPosition at, Boolean cold) throws NativeIoException {
      if (at.isNone() || at.offsetBytes() + Bytes.BLOCK_BYTES > segmentBytes) {
        return "end of segment";
      }
      long offsetBytes = at.offsetBytes();
      MemorySegment first = log.read(at.segment(), offsetBytes, Bytes.BLOCK_BYTES);
      if (first == null) {
        return "log ends";
      }
      if (!BatchHeader.hasMagic(first)) {
        return "no batch magic";
      }
      // Past the magic, the header checksum speaks first: a flipped sequence or store id must
      // read as corruption, not as the end of the log.
      String problem = BatchHeader.checkShape(first);
      if (problem != null) {
        return CORRUPT + "batch header: " + problem;
      }
      long total = BatchHeader.totalBytes(first);
      if (total > segmentBytes - offsetBytes) {
        return CORRUPT + "batch header: a batch of " + total + " bytes overruns its segment";
      }
      MemorySegment batch = log.read(at.segment(), offsetBytes, total);
      if (batch == null) {
        return CORRUPT + "batch " + sequence + " is cut off by the end of the log";
      }
      long headerBytes = (long) BatchHeader.blocks(batch) * Bytes.BLOCK_BYTES;
      MemorySegment header = batch.asSlice(0, headerBytes);
      MemorySegment data = batch.asSlice(headerBytes);
      problem = BatchHeader.checkWhole(header);
      if (problem != null) {
        return CORRUPT + "batch " + sequence + ": " + problem;
      }
      if (BatchHeader.storeId(header) != layout.superblock().storeId()) {
        return "a batch of another store";
      }
      if (BatchHeader.sequence(header) != sequence) {
        return "found sequence " + BatchHeader.sequence(header) + ", expected " + sequence;
      }
      boolean batchIsCold = BatchHeader.isCold(header);
      if (cold != null && cold != batchIsCold) {
        return "batch " + sequence + " belongs to the other head";
      }
      problem = BatchHeader.checkData(header, data);
      if (problem != null) {
        return CORRUPT + "batch " + sequence + ": " + problem;
      }
      long epoch = BatchHeader.epoch(header);
      if (epoch < lastEpoch) {
        // A leftover from a run whose tail an earlier recovery discarded: not the next batch.
        return "batch " + sequence + " has epoch " + epoch + ", older than " + lastEpoch;
      }
      long dataAddress =
          ((long) at.segment() * segmentBytes + offsetBytes + headerBytes) / Bytes.SECTOR_BYTES;
      BatchApplier applier = new BatchApplier(state);
      problem = applier.check(header, data);
      if (problem != null) {
        return CORRUPT + "batch " + sequence + ": " + problem;
      }
      applier.apply(header, data, dataAddress);
      state.segments().recordBatch(at.segment(), sequence);
      maxEpochSeen = Math.max(maxEpochSeen, epoch);
      lastEpoch = epoch;
      sequence++;
      LogPosition next = new LogPosition(at.segment(), offsetBytes + total);
      if (batchIsCold) {
        coldHead = next;
      } else {
        head = next;
      }
      batches++;
      bytes += total;
      return null;
    }
  }

  /**
   * A segment is reused once the batch that emptied it is durable (ADR 0008). Recovery that stops
   * early at a corrupt batch never replays later batches that emptied segments, so the maps may
   * still point into segments that were written over since: a segment the maps reference whose
   * first batch is not older than the stop. Its data is gone; serving it would return other data,
   * so the store is not opened.
   */
  private void refuseReusedReferences(StoreState state, long stoppedAt, String stopReason)
      throws NativeIoException, CorruptStoreException {
    if (segmentStartsBySequence == null) {
      indexSegmentStarts();
    }
    List<Integer> reused = new ArrayList<>();
    segmentStartsBySequence.forEach(
        (sequence, starts) -> {
          for (long[] start : starts) {
            if (sequence >= stoppedAt && state.segments().liveSectors((int) start[0]) > 0) {
              reused.add((int) start[0]);
            }
          }
        });
    if (!reused.isEmpty()) {
      reused.sort(null);
      throw new CorruptStoreException(
          "recovery stopped early: "
              + stopReason
              + "; the batches after it had emptied segments "
              + reused
              + " and written new data over them, so the volumes as of that batch cannot be rebuilt."
              + " Restore the store from a backup or a replica");
    }
  }

  /**
   * The segments whose first batch claims {@code sequence}, as (segment, epoch), newest epoch
   * first; from one read of every segment start.
   */
  private List<long[]> segmentsStartingWith(long sequence) throws NativeIoException {
    if (segmentStartsBySequence == null) {
      indexSegmentStarts();
    }
    List<long[]> candidates = segmentStartsBySequence.getOrDefault(sequence, List.of());
    List<long[]> sorted = new ArrayList<>(candidates);
    sorted.sort((a, b) -> Long.compare(b[1], a[1]));
    return sorted;
  }

  private long segmentStartEpochs() throws NativeIoException {
    if (segmentStartsBySequence == null) {
      indexSegmentStarts();
    }
    return maxStartEpoch;
  }

  /** Reads the first block of every segment, many at a time (a device may have thousands). */
  private void indexSegmentStarts() throws NativeIoException {
    segmentStartsBySequence = new HashMap<>();
    int segmentCount = layout.superblock().segmentCount();
    int perRound = (int) (buffer.byteSize() / Bytes.BLOCK_BYTES);
    for (int from = 0; from < segmentCount; from += perRound) {
      long[] offsets = new long[Math.min(perRound, segmentCount - from)];
      for (int i = 0; i < offsets.length; i++) {
        offsets[i] = layout.byteOffsetOf(from + i, 0);
      }
      int[] read = io.readEach(layout.log().file(), offsets, Bytes.BLOCK_BYTES, buffer);
      for (int i = 0; i < offsets.length; i++) {
        MemorySegment first = buffer.asSlice((long) i * Bytes.BLOCK_BYTES, Bytes.BLOCK_BYTES);
        if (read[i] < Bytes.BLOCK_BYTES
            || !BatchHeader.hasMagic(first)
            || BatchHeader.checkShape(first) != null
            || BatchHeader.storeId(first) != layout.superblock().storeId()) {
          continue;
        }
        segmentStartsBySequence
            .computeIfAbsent(BatchHeader.sequence(first), key -> new ArrayList<>())
            .add(new long[] {from + i, BatchHeader.epoch(first)});
        maxStartEpoch = Math.max(maxStartEpoch, BatchHeader.epoch(first));
      }
    }
  }
}
