package io.unblend.logstore.core;

/** A volume's identity and size, as listed. */
public record VolumeSummary(int id, String name, long sizeBytes, long extentCount) {}
