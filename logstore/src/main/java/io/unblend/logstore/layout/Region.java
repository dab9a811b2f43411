package io.unblend.logstore.layout;

import io.unblend.nativeio.IoFile;

/**
 * A stretch of a file or device that holds one structure: the log, or a checkpoint slot.
 *
 * @param capacityBytes how far it may extend; {@link Long#MAX_VALUE} for a file of its own
 */
public record Region(IoFile file, long offsetBytes, long capacityBytes) {}
