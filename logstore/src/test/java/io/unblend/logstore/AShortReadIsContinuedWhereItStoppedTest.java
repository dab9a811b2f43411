package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A read through the page cache may return fewer bytes than asked (read(2) promises no more). A
 * short read of whole sectors is continued where it stopped, so the client still gets all of its
 * data; a short read that ends inside a sector cannot be continued and fails the read with EIO. The
 * engine wrapper shortens the store's client reads of the log, which are the reads of a descriptor
 * without O_DIRECT.
 */
class AShortReadIsContinuedWhereItStoppedTest {
  private static final int BLOCK = 4096;
  private static final int VOLUME_BLOCKS = 64;

  @Test
  void shortReadsOfWholeSectorsAreContinuedAndEveryByteArrives() throws Exception {
    AtomicLong shortened = new AtomicLong();
    // Half of what was asked, in whole sectors: a 64 KiB read takes seven reads.
    runReads(bytes -> Math.max(512, bytes / 2 / 512 * 512), shortened);
    assertThat(shortened.get()).as("reads the engine shortened").isGreaterThan(VOLUME_BLOCKS);
  }

  @Test
  void aShortReadThatEndsInsideASectorFailsTheReadWithEio() {
    AtomicLong shortened = new AtomicLong();
    assertThatThrownBy(() -> runReads(bytes -> bytes - 100, shortened))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("short read of")
        .cause()
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
  }

  /**
   * Writes every block of a volume, then reads it back in 64 KiB reads and block by block through
   * an engine that shortens each client read of the log to {@code shortenedTo} of its length.
   */
  private static void runReads(LongUnaryOperator shortenedTo, AtomicLong shortened)
      throws Exception {
    SimulatedDisk disk = new SimulatedDisk(BLOCK, 64L << 20);
    StoreConfiguration config =
        StoreFixtures.simulated(disk, 8 << 20)
            .engines(
                depth -> new ShortReads(new SimulatedIoEngine(disk, depth), shortenedTo, shortened))
            .build();
    try (Arena arena = Arena.ofShared();
        Store store = Store.open(config)) {
      Volume volume = store.createVolume("v", (long) VOLUME_BLOCKS * BLOCK);
      for (int block = 0; block < VOLUME_BLOCKS; block++) {
        volume
            .write((long) block * BLOCK, StoreFixtures.tagged(arena, 0, block * 8L, 8, 7), false)
            .get();
      }
      // Batches still in flight are read from memory: wait until everything is in the log.
      volume.flush().get();
      int blocksPerRead = 16;
      MemorySegment many = arena.allocate((long) blocksPerRead * BLOCK, BLOCK);
      for (int first = 0; first < VOLUME_BLOCKS; first += blocksPerRead) {
        volume.read((long) first * BLOCK, many).get();
        for (int i = 0; i < blocksPerRead; i++) {
          MemorySegment expected = StoreFixtures.tagged(arena, 0, (first + i) * 8L, 8, 7);
          assertThat(many.asSlice((long) i * BLOCK, BLOCK).mismatch(expected))
              .as("block %d of a 64 KiB read", first + i)
              .isEqualTo(-1);
        }
      }
      MemorySegment one = arena.allocate(BLOCK, BLOCK);
      for (int block = 0; block < VOLUME_BLOCKS; block++) {
        volume.read((long) block * BLOCK, one).get();
        assertThat(one.mismatch(StoreFixtures.tagged(arena, 0, block * 8L, 8, 7)))
            .as("block %d read alone", block)
            .isEqualTo(-1);
      }
    }
  }

  /** Shortens every read of a file opened without O_DIRECT; other operations pass through. */
  private static final class ShortReads extends DelegatingEngine {
    private final LongUnaryOperator shortenedTo;
    private final AtomicLong shortened;

    ShortReads(IoEngine engine, LongUnaryOperator shortenedTo, AtomicLong shortened) {
      super(engine);
      this.shortenedTo = shortenedTo;
      this.shortened = shortened;
    }

    @Override
    public boolean prepareRead(IoFile file, long offsetBytes, MemorySegment buffer, long userData)
        throws NativeIoException {
      long bytes = buffer.byteSize();
      if (!file.isDirect() && bytes > 512) {
        shortened.incrementAndGet();
        return super.prepareRead(
            file, offsetBytes, buffer.asSlice(0, shortenedTo.applyAsLong(bytes)), userData);
      }
      return super.prepareRead(file, offsetBytes, buffer, userData);
    }
  }
}
