package io.unblend.nbd.protocol;

/** Which reply headers a connection uses, as negotiated (doc/proto.md, "Transmission"). */
public enum ReplyMode {
  /** 16-byte simple replies only. */
  SIMPLE,
  /** NBD_OPT_STRUCTURED_REPLY: 20-byte chunk headers. */
  STRUCTURED,
  /** NBD_OPT_EXTENDED_HEADERS: 32-byte requests and reply headers, 64-bit lengths. */
  EXTENDED
}
