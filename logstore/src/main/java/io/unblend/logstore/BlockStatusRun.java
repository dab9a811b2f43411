package io.unblend.logstore;

/**
 * A run of a volume with one allocation state, as NBD's base:allocation context reports it.
 *
 * @param lengthBytes the run's length
 * @param hole unallocated: reads give zeros and the space is not used (NBD_STATE_HOLE)
 * @param zero reads give zeros (NBD_STATE_ZERO); true for holes and for allocated zeros
 */
public record BlockStatusRun(long lengthBytes, boolean hole, boolean zero) {}
