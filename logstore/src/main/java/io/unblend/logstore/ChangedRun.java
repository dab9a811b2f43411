package io.unblend.logstore;

/**
 * A run of a volume's bytes that differs, or not, from an older snapshot of it: changed when some
 * sector maps to other data (written, trimmed or zeroed since).
 */
public record ChangedRun(long lengthBytes, boolean changed) {}
