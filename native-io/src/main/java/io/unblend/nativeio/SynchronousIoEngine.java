package io.unblend.nativeio;

import java.lang.foreign.MemorySegment;

/**
 * An engine that carries out operations itself, in order, when they are submitted: the pread/pwrite
 * fallback and the simulated disk. Subclasses say how one operation runs.
 */
public abstract class SynchronousIoEngine extends AbstractIoEngine {
  private final OperationQueue queue;

  protected SynchronousIoEngine(int queueDepth) {
    super(queueDepth);
    this.queue = new OperationQueue(queueDepth);
  }

  /**
   * Runs the operation in {@code slot} of {@code queue} and returns its result: bytes transferred,
   * 0, or a negative errno.
   */
  protected abstract int run(OperationQueue queue, int slot);

  @Override
  protected final boolean enqueue(
      IoOperation operation,
      IoFile file,
      long offsetBytes,
      MemorySegment buffer,
      long lengthBytes,
      int mode,
      int bufferIndex,
      long userData) {
    return queue.add(operation, file, offsetBytes, buffer, lengthBytes, mode, userData);
  }

  @Override
  public final int submit() {
    int submitted = 0;
    while (queue.hasUnrun()) {
      queue.ran(run(queue, queue.nextToRun()));
      submitted++;
    }
    return submitted;
  }

  @Override
  public final int awaitCompletions(int minimum, CompletionHandler handler) {
    int delivered = 0;
    do {
      submit();
      while (queue.hasUndelivered()) {
        int slot = queue.nextToDeliver();
        long userData = queue.userData(slot);
        int result = queue.result(slot);
        queue.delivered();
        completedOne();
        delivered++;
        handler.onCompletion(userData, result);
      }
    } while (delivered < minimum && inFlight() > 0);
    return delivered;
  }

  /** Nothing to do: this engine never blocks waiting for completions. */
  @Override
  public final void wakeup() {}

  @Override
  public void close() throws NativeIoException {
    awaitCompletions(inFlight(), (userData, result) -> {});
  }
}
