package io.unblend.logstore.model;

import io.unblend.logstore.checkpoint.Recovery;
import io.unblend.logstore.checkpoint.RecoveryReport;

/** What a run exercised, so the property can show (and require) that runs reach recovery paths. */
final class RunCounts {
  int powerCuts;
  int enospc;
  int recoveriesReplayingBatches;
  int recoveriesDiscardingATornBatch;
  int recoveriesFromABackgroundCheckpoint;
  int powerCutsWithSnapshots;
  int snapshots;
  int groupSnapshots;
  int clones;
  int snapshotDeletes;
  int changedBlockQueries;
  long cleanerBytesWritten;

  /** Times the run saw the cleaner had moved data while snapshots existed. */
  int cleaningsWithSnapshots;

  /** Overwrite bursts that met ENOSPC although live data was under a quarter of the log. */
  int enospcWithRoom;

  /** The checkpoint that the latest open wrote; a newer one found later was written meanwhile. */
  private long openingCheckpointSequence = -1;

  void opened(RecoveryReport report, boolean afterPowerCut) {
    if (afterPowerCut) {
      if (report.batchesReplayed() > 0) {
        recoveriesReplayingBatches++;
      }
      if (report.stopReason().startsWith(Recovery.CORRUPT)) {
        recoveriesDiscardingATornBatch++;
      }
      if (report.checkpointSequence() > openingCheckpointSequence) {
        recoveriesFromABackgroundCheckpoint++;
      }
    }
    openingCheckpointSequence = report.checkpointSequence() + 1;
  }
}
