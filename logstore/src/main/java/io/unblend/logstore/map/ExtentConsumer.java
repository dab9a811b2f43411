package io.unblend.logstore.map;

/** Receives a run of log space that a map no longer references, for live-space accounting. */
@FunctionalInterface
public interface ExtentConsumer {
  /**
   * @param address the first log sector of the run, or {@link ExtentMap#ZERO} for an allocated-zero
   *     run, which occupies no log space
   * @param sectorCount how many 512-byte sectors, at least 1
   */
  void accept(long address, long sectorCount);
}
