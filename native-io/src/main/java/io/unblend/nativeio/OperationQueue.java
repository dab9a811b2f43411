package io.unblend.nativeio;

import java.lang.foreign.MemorySegment;

/**
 * A fixed-capacity ring of prepared operations and their results, held in parallel arrays so that
 * queueing allocates nothing. Engines that carry out operations themselves (the fallback and the
 * simulated disk) fill it in {@code enqueue}, run it in {@code submit} and deliver it in {@code
 * awaitCompletions}.
 */
public final class OperationQueue {
  private final IoOperation[] operations;
  private final IoFile[] files;
  private final long[] offsets;
  private final MemorySegment[] buffers;
  private final long[] lengths;
  private final int[] modes;
  private final long[] userData;
  private final int[] results;
  private final int capacity;
  private int deliverHead;
  private int runHead;
  private int tail;

  public OperationQueue(int capacity) {
    this.capacity = capacity;
    this.operations = new IoOperation[capacity];
    this.files = new IoFile[capacity];
    this.offsets = new long[capacity];
    this.buffers = new MemorySegment[capacity];
    this.lengths = new long[capacity];
    this.modes = new int[capacity];
    this.userData = new long[capacity];
    this.results = new int[capacity];
  }

  /** Queues an operation; returns {@code false} when the ring is full. */
  public boolean add(
      IoOperation operation,
      IoFile file,
      long offsetBytes,
      MemorySegment buffer,
      long lengthBytes,
      int mode,
      long data) {
    if (tail - deliverHead >= capacity) {
      return false;
    }
    int slot = tail % capacity;
    operations[slot] = operation;
    files[slot] = file;
    offsets[slot] = offsetBytes;
    buffers[slot] = buffer;
    lengths[slot] = lengthBytes;
    modes[slot] = mode;
    userData[slot] = data;
    tail++;
    return true;
  }

  /** Whether an operation waits to be run. */
  public boolean hasUnrun() {
    return runHead != tail;
  }

  /** The slot of the next operation to run; call {@link #ran} with its result. */
  public int nextToRun() {
    return runHead % capacity;
  }

  public void ran(int result) {
    results[runHead % capacity] = result;
    runHead++;
  }

  /** Whether a run operation waits to be delivered. */
  public boolean hasUndelivered() {
    return deliverHead != runHead;
  }

  /**
   * The slot of the next operation to deliver: read its user data and result, call {@link
   * #delivered()}, then deliver them (the slot may be reused from then on).
   */
  public int nextToDeliver() {
    return deliverHead % capacity;
  }

  /** Forgets a delivered slot's references so that buffers and files can be collected. */
  public void delivered() {
    int slot = deliverHead % capacity;
    files[slot] = null;
    buffers[slot] = null;
    deliverHead++;
  }

  public IoOperation operation(int slot) {
    return operations[slot];
  }

  public IoFile file(int slot) {
    return files[slot];
  }

  public long offsetBytes(int slot) {
    return offsets[slot];
  }

  public MemorySegment buffer(int slot) {
    return buffers[slot];
  }

  public long lengthBytes(int slot) {
    return lengths[slot];
  }

  public int mode(int slot) {
    return modes[slot];
  }

  public long userData(int slot) {
    return userData[slot];
  }

  public int result(int slot) {
    return results[slot];
  }
}
