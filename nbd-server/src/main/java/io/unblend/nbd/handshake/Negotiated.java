package io.unblend.nbd.handshake;

import io.unblend.nbd.metadata.BaseAllocation;
import io.unblend.nbd.metadata.MetadataContext;
import io.unblend.nbd.protocol.ReplyMode;
import java.util.List;

/**
 * What option haggling settled for the transmission phase: the export, the reply headers, and the
 * metadata contexts selected for NBD_CMD_BLOCK_STATUS (empty when none, or with simple replies).
 */
public record Negotiated(Export export, ReplyMode replyMode, List<MetadataContext> contexts) {
  public Negotiated {
    contexts = List.copyOf(contexts);
  }

  /**
   * The id of the context at {@code index} of the selection: ids are per connection and opaque to
   * clients ("NBD_OPT_SET_META_CONTEXT"); 0 is left out, since listing replies use it.
   */
  public static int contextId(int index) {
    return index + 1;
  }

  /** Whether base:allocation is among the selected contexts. */
  public boolean baseAllocation() {
    return contexts.stream().anyMatch(context -> context instanceof BaseAllocation);
  }
}
