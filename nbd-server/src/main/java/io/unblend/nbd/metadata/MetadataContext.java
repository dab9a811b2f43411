package io.unblend.nbd.metadata;

import io.unblend.logstore.Volume;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A metadata context a client can select (doc/proto.md "Metadata querying"): its name, and the
 * status flags it reports for each extent of a range in NBD_CMD_BLOCK_STATUS.
 */
public sealed interface MetadataContext permits BaseAllocation, ChangedBlocks {
  /** The context's full name, namespace included, as the client selects it. */
  String name();

  /**
   * Status runs that cover the range in order, from its start; {@code offsetBytes} and {@code
   * lengthBytes} are aligned to 512-byte sectors and lie inside {@code volume}.
   */
  CompletableFuture<List<StatusRun>> status(Volume volume, long offsetBytes, long lengthBytes);
}
