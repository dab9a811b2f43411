package io.unblend.nbd.metadata;

import static io.unblend.nbd.protocol.NbdConstants.BASE_ALLOCATION;
import static io.unblend.nbd.protocol.NbdConstants.NBD_STATE_HOLE;
import static io.unblend.nbd.protocol.NbdConstants.NBD_STATE_ZERO;

import io.unblend.logstore.BlockStatusRun;
import io.unblend.logstore.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code base:allocation} (doc/proto.md "base:allocation metadata context"): NBD_STATE_HOLE where
 * the volume's map has a hole, NBD_STATE_ZERO where it reads as zeros (a hole or allocated zeros).
 */
public record BaseAllocation() implements MetadataContext {
  @Override
  public String name() {
    return BASE_ALLOCATION;
  }

  @Override
  public CompletableFuture<List<StatusRun>> status(
      Volume volume, long offsetBytes, long lengthBytes) {
    return volume.blockStatus(offsetBytes, lengthBytes).thenApply(BaseAllocation::flags);
  }

  private static List<StatusRun> flags(List<BlockStatusRun> runs) {
    List<StatusRun> status = new ArrayList<>(runs.size());
    for (BlockStatusRun run : runs) {
      status.add(
          new StatusRun(
              run.lengthBytes(),
              (run.hole() ? NBD_STATE_HOLE : 0) | (run.zero() ? NBD_STATE_ZERO : 0)));
    }
    return status;
  }
}
