package io.unblend.nbd.metadata;

import static io.unblend.nbd.protocol.NbdConstants.UNBLEND_CHANGED_PREFIX;
import static io.unblend.nbd.protocol.NbdConstants.UNBLEND_STATE_CHANGED;

import io.unblend.logstore.ChangedRun;
import io.unblend.logstore.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code unblend:changed:SNAPSHOT} (docs/changed-blocks.md): UNBLEND_STATE_CHANGED where the export
 * differs from snapshot {@code base}, VOLUME@SNAPSHOT, with the semantics of qemu's {@code
 * qemu:dirty-bitmap:} contexts. Bytes past the end of the snapshot (the volume grew since) count as
 * changed: the snapshot has nothing there.
 *
 * @param snapshot the snapshot's own name, without the volume
 * @param base the snapshot, as it was found when the context was selected
 */
public record ChangedBlocks(String snapshot, Volume base) implements MetadataContext {
  @Override
  public String name() {
    return UNBLEND_CHANGED_PREFIX + snapshot;
  }

  @Override
  public CompletableFuture<List<StatusRun>> status(
      Volume volume, long offsetBytes, long lengthBytes) {
    long inBase = Math.max(0, Math.min(lengthBytes, base.sizeBytes() - offsetBytes));
    if (inBase == 0) {
      return CompletableFuture.completedFuture(
          List.of(new StatusRun(lengthBytes, UNBLEND_STATE_CHANGED)));
    }
    return volume
        .changedSince(base, offsetBytes, inBase)
        .thenApply(runs -> flags(runs, lengthBytes - inBase));
  }

  private static List<StatusRun> flags(List<ChangedRun> runs, long grownBytes) {
    List<StatusRun> status = new ArrayList<>(runs.size() + 1);
    for (ChangedRun run : runs) {
      append(status, run.lengthBytes(), run.changed() ? UNBLEND_STATE_CHANGED : 0);
    }
    if (grownBytes > 0) {
      append(status, grownBytes, UNBLEND_STATE_CHANGED);
    }
    return status;
  }

  private static void append(List<StatusRun> status, long lengthBytes, int flags) {
    int last = status.size() - 1;
    if (last >= 0 && status.get(last).flags() == flags) {
      status.set(last, new StatusRun(status.get(last).lengthBytes() + lengthBytes, flags));
    } else {
      status.add(new StatusRun(lengthBytes, flags));
    }
  }
}
