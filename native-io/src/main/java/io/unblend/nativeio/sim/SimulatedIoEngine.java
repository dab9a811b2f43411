package io.unblend.nativeio.sim;

import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.OpenFlag;
import io.unblend.nativeio.OperationQueue;
import io.unblend.nativeio.SynchronousIoEngine;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine that storage tests run on: each submitted operation is carried out on a {@link
 * SimulatedDisk}, which may inject faults and may lose power. An engine dies with the power: once
 * the disk was cut after the engine was made, its operations complete with -EIO and opening a file
 * fails with EIO, as a process would see after the machine came back without it.
 */
public final class SimulatedIoEngine extends SynchronousIoEngine {
  private final SimulatedDisk disk;
  private final long powerCutsSeen;
  private final AtomicInteger nextHandle = new AtomicInteger();

  public SimulatedIoEngine(SimulatedDisk disk, int queueDepth) {
    super(queueDepth);
    this.disk = disk;
    this.powerCutsSeen = disk.powerCuts();
  }

  @Override
  public String name() {
    return "simulated";
  }

  @Override
  public IoFile open(Path path, Set<OpenFlag> flags) throws NativeIoException {
    disk.open(powerCutsSeen, path, flags.contains(OpenFlag.CREATE));
    // Closing a simulated file releases nothing: the disk keeps its contents.
    return new IoFile(path, nextHandle.getAndIncrement(), flags, disk.blockSizeBytes(), file -> {});
  }

  @Override
  public long sizeBytes(IoFile file) throws NativeIoException {
    return disk.sizeBytes(powerCutsSeen, file.path());
  }

  @Override
  protected int run(OperationQueue queue, int slot) {
    IoFile file = queue.file(slot);
    return switch (queue.operation(slot)) {
      case READ, READ_FIXED ->
          disk.read(powerCutsSeen, file.path(), queue.offsetBytes(slot), queue.buffer(slot));
      case WRITE, WRITE_FIXED ->
          disk.write(
              powerCutsSeen,
              file.path(),
              queue.offsetBytes(slot),
              queue.buffer(slot),
              file.isDsync());
      case DURABLE_WRITE ->
          disk.write(powerCutsSeen, file.path(), queue.offsetBytes(slot), queue.buffer(slot), true);
      case DATASYNC -> disk.datasync(powerCutsSeen, file.path());
      case FALLOCATE ->
          disk.fallocate(
              powerCutsSeen,
              file.path(),
              queue.mode(slot),
              queue.offsetBytes(slot),
              queue.lengthBytes(slot));
      case NOP -> disk.nop(powerCutsSeen);
    };
  }
}
