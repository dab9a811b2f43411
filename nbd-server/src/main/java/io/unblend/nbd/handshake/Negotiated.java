package io.unblend.nbd.handshake;

import io.unblend.nbd.protocol.ReplyMode;

/**
 * What option haggling settled for the transmission phase: the export, the reply headers, and
 * whether the base:allocation metadata context was selected (and under which id).
 */
public record Negotiated(Export export, ReplyMode replyMode, boolean baseAllocation) {
  /** The id this server gives base:allocation; ids are per connection and opaque to clients. */
  public static final int BASE_ALLOCATION_ID = 1;
}
