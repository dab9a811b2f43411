package io.unblend.logstore.checkpoint;

import java.util.List;

/**
 * What recovery did, for the log and for tests: which checkpoint it started from, how much of the
 * log it replayed, and why it stopped where it stopped.
 *
 * @param checkpointSlot the slot of the checkpoint used
 * @param checkpointSequence that checkpoint's sequence
 * @param batchesReplayed batches applied after the checkpoint
 * @param bytesReplayed their bytes in the log
 * @param stopReason why replay ended: normally "no batch with sequence N", otherwise the corruption
 *     found (a torn or corrupt batch is never applied)
 * @param problems checkpoint slots that could not be used, and why
 * @param elapsedNanos how long recovery took
 */
public record RecoveryReport(
    int checkpointSlot,
    long checkpointSequence,
    long batchesReplayed,
    long bytesReplayed,
    String stopReason,
    List<String> problems,
    long elapsedNanos) {

  /** One line for the log. */
  public String summary() {
    return "recovered from checkpoint "
        + checkpointSequence
        + " (slot "
        + checkpointSlot
        + "), replayed "
        + batchesReplayed
        + " batches ("
        + bytesReplayed
        + " bytes) in "
        + elapsedNanos / 1_000_000
        + " ms; replay stopped: "
        + stopReason
        + (problems.isEmpty() ? "" : "; " + String.join("; ", problems));
  }
}
