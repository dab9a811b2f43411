package io.unblend.logstore.checkpoint;

import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.layout.StoreLayout;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.NativeIoException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.ObjLongConsumer;

/**
 * Writes checkpoints on a thread of its own with an engine of its own, so serialising large maps
 * never stalls the storage thread; it works from frozen snapshots, which need no locking.
 */
public final class Checkpointer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Checkpointer.class.getName());

  private static final int STAGING_BYTES = 4 << 20;

  private final StoreLayout layout;
  private final IoEngine engine;
  private final BlockingIo io;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment staging = arena.allocate(STAGING_BYTES, Bytes.BLOCK_BYTES);
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          Thread.ofPlatform().name("unblend-checkpointer").daemon().factory());

  public Checkpointer(StoreLayout layout, IoEngine engine) {
    this.layout = layout;
    this.engine = engine;
    this.io = new BlockingIo(engine);
  }

  /**
   * Writes {@code image} into {@code slot} in the background; {@code done} gets the failure (null
   * when it worked) and the bytes written.
   */
  public void writeInBackground(int slot, CheckpointImage image, ObjLongConsumer<Throwable> done) {
    thread.execute(
        () -> {
          Throwable failure = null;
          long bytes = 0;
          try {
            bytes = write(slot, image);
          } catch (NativeIoException | RuntimeException e) {
            failure = e;
          }
          done.accept(failure, bytes);
        });
  }

  /**
   * Writes a checkpoint on the calling thread; only while no background write runs.
   *
   * @return the bytes written into the slot
   */
  public synchronized long write(int slot, CheckpointImage image) throws NativeIoException {
    return CheckpointFormat.write(io, layout.checkpointSlot(slot), image, staging);
  }

  @Override
  public void close() throws NativeIoException {
    thread.shutdown();
    boolean ended = false;
    try {
      ended = thread.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!ended) {
      // A background write still runs: its engine and buffers must outlive it, until the process.
      LOG.log(Level.ERROR, "a checkpoint write did not end within a minute; its buffers stay");
      return;
    }
    try {
      engine.close();
    } finally {
      if (engine.inFlight() == 0) {
        arena.close();
      }
    }
  }
}
