package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client reads go through the page cache while every write, the cleaner's included, goes around it
 * with O_DIRECT (ADR 0012). On a real file system, with a log overwritten several times so that the
 * cleaner empties segments and the log head reuses them, every read sees the latest write of its
 * block: never a page the cache kept from what a reused segment held before; in a data directory
 * and on a block device (a loop device; needs root and losetup), whose page cache is the device's.
 * All reads are in flight at once, more than the store lets reach the engine, sharing its queue
 * with the writes.
 */
class ReadsThroughThePageCacheTest {
  private static final int BLOCK = 4096;
  private static final int VOLUME_BLOCKS = 512; // 2 MiB: a quarter of the log
  private static final long LOG_BYTES = 8 << 20;
  private static final int WRITES_PER_ROUND = 128;

  @TempDir Path directory;

  @Test
  void inADataDirectoryEveryReadSeesTheLatestOverwriteWhileSegmentsAreReused() throws Exception {
    overwriteAndReadBack(new StoreLocation.Directory(directory.resolve("data")));
  }

  @Test
  void onABlockDeviceEveryReadSeesTheLatestOverwriteWhileSegmentsAreReused() throws Exception {
    Path backing = directory.resolve("disk.img");
    try (RandomAccessFile file = new RandomAccessFile(backing.toFile(), "rw")) {
      file.setLength(LOG_BYTES + (4 << 20));
    }
    String device = losetup("--find", "--show", backing.toString());
    try {
      overwriteAndReadBack(new StoreLocation.Device(Path.of(device)));
    } finally {
      losetup("--detach", device);
    }
  }

  private static void overwriteAndReadBack(StoreLocation location) throws Exception {
    StoreConfiguration config =
        StoreConfiguration.at(location)
            .logBytes(LOG_BYTES)
            .checkpointSlotBytes(location instanceof StoreLocation.Device ? 1 << 20 : 0)
            .segmentBytes(256 << 10)
            .batchBytesMax(64 << 10)
            .batchesInFlightMax(2)
            .queueDepth(16)
            .readsInFlightMax(10) // the most a queue of 16 leaves beside the writes
            .checkpointIntervalBytes(1 << 20)
            .build();
    int[] generation = new int[VOLUME_BLOCKS];
    Random random = new Random(7);
    try (Store store = Store.open(config);
        Arena arena = Arena.ofShared()) {
      Volume volume = store.createVolume("vm", (long) VOLUME_BLOCKS * BLOCK);
      long rounds = 6 * LOG_BYTES / BLOCK / WRITES_PER_ROUND;
      for (long round = 0; round < rounds; round++) {
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < WRITES_PER_ROUND; i++) {
          int block = random.nextInt(VOLUME_BLOCKS);
          generation[block]++;
          writes.add(
              volume.write((long) block * BLOCK, tagged(arena, block, generation[block]), false));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();
        assertEveryBlockReadsItsLatestGeneration(volume, arena, generation, round);
      }
      StoreStatus status = store.status();
      assertThat(status.cleanerBytesWritten())
          .as("the cleaner moved data, so segments were emptied and reused")
          .isPositive();
      assertThat(status.logBytesWritten()).isGreaterThan(4 * LOG_BYTES);
    }
  }

  @Test
  void readsThatWouldLeaveTheWritesNoRoomInTheEngineQueueAreRefused() {
    assertThatThrownBy(
            () ->
                StoreConfiguration.at(new StoreLocation.Directory(directory))
                    .queueDepth(16)
                    .batchesInFlightMax(2)
                    .readsInFlightMax(11)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("readsInFlightMax=11")
        .hasMessageContaining("1 to queueDepth - 2 x batchesInFlightMax - 2 (10)");
  }

  @Test
  void aDefaultReadLimitFollowsAQueueDepthLoweredLater() {
    StoreConfiguration defaults =
        StoreConfiguration.at(new StoreLocation.Directory(directory)).batchesInFlightMax(2).build();
    assertThat(defaults.readsInFlightMax()).isEqualTo(64);
    assertThat(defaults.toBuilder().queueDepth(16).build().readsInFlightMax()).isEqualTo(10);
    StoreConfiguration given =
        StoreConfiguration.at(new StoreLocation.Directory(directory)).readsInFlightMax(5).build();
    assertThat(given.toBuilder().queueDepth(16).build().readsInFlightMax()).isEqualTo(5);
  }

  private static String losetup(String... arguments) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("losetup"));
    command.addAll(List.of(arguments));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes()).strip();
    assertThat(process.waitFor())
        .as("%s (loop devices need root and util-linux's losetup): %s", command, output)
        .isZero();
    return output;
  }

  private static void assertEveryBlockReadsItsLatestGeneration(
      Volume volume, Arena arena, int[] generation, long round) throws Exception {
    MemorySegment[] blocks = new MemorySegment[VOLUME_BLOCKS];
    List<CompletableFuture<Void>> reads = new ArrayList<>();
    for (int block = 0; block < VOLUME_BLOCKS; block++) {
      blocks[block] = arena.allocate(BLOCK, BLOCK);
      reads.add(volume.read((long) block * BLOCK, blocks[block]));
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get();
    MemorySegment zeros = arena.allocate(BLOCK, BLOCK);
    for (int block = 0; block < VOLUME_BLOCKS; block++) {
      MemorySegment expected =
          generation[block] == 0 ? zeros : tagged(arena, block, generation[block]);
      long mismatch = blocks[block].mismatch(expected);
      assertThat(mismatch)
          .as(
              "block %d after round %d: generation %d expected, read word 0x%s",
              block,
              round,
              generation[block],
              mismatch < 0
                  ? ""
                  : Long.toHexString(
                      blocks[block].get(ValueLayout.JAVA_LONG_UNALIGNED, mismatch / 8 * 8)))
          .isEqualTo(-1L);
    }
  }

  private static long tag(int block, int generation) {
    return ((long) block << 32) | generation;
  }

  private static MemorySegment tagged(Arena arena, int block, int generation) {
    MemorySegment data = arena.allocate(BLOCK, BLOCK);
    for (int word = 0; word < BLOCK; word += 8) {
      data.set(ValueLayout.JAVA_LONG_UNALIGNED, word, tag(block, generation));
    }
    return data;
  }
}
