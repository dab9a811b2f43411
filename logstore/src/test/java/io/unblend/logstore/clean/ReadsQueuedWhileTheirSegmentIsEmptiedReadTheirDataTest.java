package io.unblend.logstore.clean;

import static io.unblend.logstore.clean.CleanerFixtures.BLOCK;
import static io.unblend.logstore.clean.CleanerFixtures.tagged;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.Volume;
import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A read that waits for the disk keeps the log address its volume's map gave it. Meanwhile the
 * cleaner may move that data, a checkpoint may release the segment, and a head may write new
 * batches into it: the read must still return the data it was planned for, so a segment is not
 * reused while a read of it is queued or in flight. Here cold blocks are written once and hot
 * blocks are overwritten all the time by another thread, so the cleaner keeps moving the cold ones
 * out of segments that are then reused, while every cold block is read again and again, behind one
 * read slot so that reads queue.
 */
class ReadsQueuedWhileTheirSegmentIsEmptiedReadTheirDataTest {
  private static final int COLD_BLOCKS = 128;
  private static final int HOT_BLOCKS = 256;
  private static final long CLEANER_BYTES_WANTED = 16L << 20;
  private static final long DEADLINE_NANOS = 30_000_000_000L;

  private final SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);

  @Test
  void coldBlocksReadTheirOnlyGenerationWhileTheCleanerMovesThem() throws Exception {
    StoreConfiguration config =
        CleanerFixtures.simulated(disk).toBuilder()
            .batchBytesMax(16 << 10)
            .readsInFlightMax(1)
            .checkpointIntervalBytes(128 << 10)
            .build();
    try (Store store = Store.open(config);
        Arena arena = Arena.ofShared()) {
      Volume volume = store.createVolume("vm", (long) (COLD_BLOCKS + HOT_BLOCKS) * BLOCK);
      // Cold and hot blocks side by side in the log, so that the segments the hot overwrites
      // empty still hold cold data for the cleaner to move.
      List<CompletableFuture<Void>> first = new ArrayList<>();
      for (int i = 0; i < COLD_BLOCKS + HOT_BLOCKS; i++) {
        int block = i % 3 == 0 ? i / 3 : COLD_BLOCKS + i - i / 3 - 1;
        first.add(volume.write((long) block * BLOCK, tagged(arena, block, 1), false));
      }
      CompletableFuture.allOf(first.toArray(CompletableFuture[]::new)).get();
      volume.flush().get();

      AtomicBoolean stop = new AtomicBoolean();
      Thread overwriter = Thread.ofPlatform().start(() -> overwriteHotBlocks(volume, stop));
      MemorySegment[] expected = new MemorySegment[COLD_BLOCKS];
      MemorySegment[] into = new MemorySegment[COLD_BLOCKS];
      for (int block = 0; block < COLD_BLOCKS; block++) {
        expected[block] = tagged(arena, block, 1);
        into[block] = arena.allocate(BLOCK, BLOCK);
      }
      List<String> wrong = new ArrayList<>();
      long reads = 0;
      long started = System.nanoTime();
      try {
        while (wrong.isEmpty()
            && store.status().cleanerBytesWritten() < CLEANER_BYTES_WANTED
            && System.nanoTime() - started < DEADLINE_NANOS) {
          List<CompletableFuture<Void>> pending = new ArrayList<>();
          for (int block = 0; block < COLD_BLOCKS; block++) {
            pending.add(volume.read((long) block * BLOCK, into[block]));
          }
          CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get();
          for (int block = 0; block < COLD_BLOCKS; block++) {
            reads++;
            if (into[block].mismatch(expected[block]) != -1) {
              long word = into[block].get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
              wrong.add("block " + block + " read 0x" + Long.toHexString(word) + " after " + reads);
            }
          }
        }
      } finally {
        stop.set(true);
        overwriter.join();
      }
      assertThat(wrong).as("cold blocks that read another block's data").isEmpty();
      assertThat(store.status().cleanerBytesWritten())
          .as("the cleaner moved data, and reused segments, while the reads went on")
          .isGreaterThanOrEqualTo(CLEANER_BYTES_WANTED);
    }
  }

  private static void overwriteHotBlocks(Volume volume, AtomicBoolean stop) {
    Random random = new Random(1);
    int generation = 2;
    while (!stop.get()) {
      try (Arena arena = Arena.ofShared()) {
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          int block = COLD_BLOCKS + random.nextInt(HOT_BLOCKS);
          writes.add(volume.write((long) block * BLOCK, tagged(arena, block, generation++), false));
        }
        writes.add(volume.flush());
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
      }
    }
  }
}
