package io.unblend.logstore.model;

/**
 * A write, trim or zeroing of a range of a volume, as the model records it.
 *
 * @param value the generation written, or {@link VolumeModel#ZEROS} for a trim or zeroing
 * @param fua whether its completion promises durability
 */
record SectorChange(
    VolumeModel volume, int startSector, int sectorCount, long value, boolean fua) {}
