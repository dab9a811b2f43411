package io.unblend.logstore.checkpoint;

import io.unblend.logstore.core.StoreState;
import io.unblend.logstore.core.VolumeState;
import io.unblend.logstore.log.LogPosition;
import io.unblend.logstore.log.SegmentTable;
import java.util.ArrayList;
import java.util.List;

/**
 * The store as of one batch: what a checkpoint holds, and where recovery continues after it.
 *
 * @param checkpointSequence increases with every checkpoint written; the newer of two valid slots
 *     wins
 * @param epoch the store's open count; batches written after this checkpoint carry it or more
 * @param nextBatchSequence the sequence of the first batch not included
 * @param head where the client head's next batch goes
 * @param coldHead where the cold head's next batch (the cleaner's moves) goes
 * @param volumes frozen volume states (their maps are snapshots)
 * @param segments a copy of the segment table
 */
public record CheckpointImage(
    long storeId,
    long checkpointSequence,
    long epoch,
    long nextBatchSequence,
    LogPosition head,
    LogPosition coldHead,
    int nextVolumeId,
    SegmentTable segments,
    List<VolumeState> volumes) {

  /**
   * The image of {@code state} now: O(1) map snapshots and a copy of the segment table, so the
   * state may keep changing while the image is written.
   */
  public static CheckpointImage of(
      StoreState state,
      long storeId,
      long checkpointSequence,
      long epoch,
      long nextBatchSequence,
      LogPosition head,
      LogPosition coldHead) {
    List<VolumeState> volumes = new ArrayList<>();
    for (VolumeState volume : state.volumes()) {
      volumes.add(volume.snapshot());
    }
    return new CheckpointImage(
        storeId,
        checkpointSequence,
        epoch,
        nextBatchSequence,
        head,
        coldHead,
        state.nextVolumeId(),
        state.segments().copy(),
        volumes);
  }
}
