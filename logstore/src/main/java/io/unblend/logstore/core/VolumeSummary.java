package io.unblend.logstore.core;

/**
 * A volume, snapshot or clone as listed.
 *
 * @param name the volume's name, or {@code volume@snapshot} for a snapshot
 * @param snapshot whether it is a read-only snapshot
 * @param originId for a snapshot the id of the volume it was taken of, for a clone the id of the
 *     snapshot it started from, else 0
 */
public record VolumeSummary(
    int id, String name, long sizeBytes, long extentCount, boolean snapshot, int originId) {}
