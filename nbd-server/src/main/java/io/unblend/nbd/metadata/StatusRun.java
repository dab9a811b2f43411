package io.unblend.nbd.metadata;

/** A run of bytes that share one context's status flags: one block status descriptor. */
public record StatusRun(long lengthBytes, int flags) {}
