package io.unblend.logstore.model;

import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.OpenFlag;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.nio.file.Path;
import java.util.EnumSet;

/**
 * The store settings a run varies: a data directory or a device (one file holding the superblock,
 * both checkpoint slots and the log); small segments and frequent checkpoints so that runs cross
 * segments and recover from background checkpoints; and small batches so that writes are split over
 * several batches.
 *
 * @param logBytes mostly large enough that ENOSPC is rare; sometimes small, so that segments are
 *     reused or ENOSPC happens
 * @param checkpointIntervalSegments log bytes between background checkpoints, in segments
 * @param searchInBackground the cleaner searches every segment it empties on its own thread, over
 *     frozen copies of the maps; otherwise always on the storage thread
 */
record Tuning(
    boolean device,
    long logBytes,
    int segmentBytes,
    int checkpointIntervalSegments,
    int batchBytesMax,
    int batchEntriesMax,
    int batchesInFlightMax,
    boolean searchInBackground) {
  static final long DISK_BYTES = 64L << 20;
  static final int REQUEST_BYTES_MAX = 64 << 10;
  private static final long DEVICE_CHECKPOINT_SLOT_BYTES = 1 << 20;
  private static final long SUPERBLOCK_BYTES = 4096;
  private static final Path DIRECTORY = Path.of("/sim/store");
  private static final Path DEVICE = Path.of("/sim/device");

  /** A data directory with the given log and batch settings. */
  static Tuning directory(
      long logBytes,
      int segmentBytes,
      int checkpointIntervalSegments,
      int batchBytesMax,
      int batchEntriesMax,
      int batchesInFlightMax) {
    return new Tuning(
        false,
        logBytes,
        segmentBytes,
        checkpointIntervalSegments,
        batchBytesMax,
        batchEntriesMax,
        batchesInFlightMax,
        false);
  }

  /** The store's configuration; for a device, makes the device first if the disk has none. */
  StoreConfiguration configuration(SimulatedDisk disk) throws NativeIoException {
    if (device) {
      makeDevice(disk);
    }
    return StoreConfiguration.at(
            device ? new StoreLocation.Device(DEVICE) : new StoreLocation.Directory(DIRECTORY))
        .locking(false)
        .logBytes(logBytes)
        .checkpointSlotBytes(device ? DEVICE_CHECKPOINT_SLOT_BYTES : 0)
        .segmentBytes(segmentBytes)
        .batchBytesMax(batchBytesMax)
        .batchEntriesMax(batchEntriesMax)
        .batchesInFlightMax(batchesInFlightMax)
        .requestBytesMax(REQUEST_BYTES_MAX)
        .inFlightBytesMax(1 << 20)
        .readsInFlightMax(8)
        .checkpointIntervalBytes((long) segmentBytes * checkpointIntervalSegments)
        .cleanerInlineSearchExtents(searchInBackground ? 0 : Long.MAX_VALUE)
        .queueDepth(64)
        .engines(depth -> new SimulatedIoEngine(disk, depth))
        .build();
  }

  /** A device is there before the store: a file of its size, durable, as a partition would be. */
  private void makeDevice(SimulatedDisk disk) throws NativeIoException {
    try (IoEngine engine = new SimulatedIoEngine(disk, 8)) {
      BlockingIo io = new BlockingIo(engine);
      try (IoFile file = engine.open(DEVICE, EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE))) {
        long deviceBytes = SUPERBLOCK_BYTES + 2 * DEVICE_CHECKPOINT_SLOT_BYTES + logBytes;
        if (engine.sizeBytes(file) < deviceBytes) {
          io.fallocate(file, 0, 0, deviceBytes);
          io.datasync(file);
        }
      }
    }
  }
}
