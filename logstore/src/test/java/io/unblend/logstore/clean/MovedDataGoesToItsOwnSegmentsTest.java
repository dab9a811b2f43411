package io.unblend.logstore.clean;

import static io.unblend.logstore.clean.CleanerFixtures.BLOCK;
import static io.unblend.logstore.clean.CleanerFixtures.awaitEvery;
import static io.unblend.logstore.clean.CleanerFixtures.tagged;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreLocation;
import io.unblend.logstore.Volume;
import io.unblend.logstore.crash.LoggedBatch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cleaner appends the data it moves at its own head, apart from new client data: once a hot
 * corner of a volume has been overwritten several times the log's size, every segment holds either
 * client batches or the cleaner's batches, never both, and every block still reads back after a
 * restart, which follows both heads.
 */
class MovedDataGoesToItsOwnSegmentsTest {
  private static final int SEGMENT_BYTES = 256 << 10;
  private static final long LOG_BYTES = 8 << 20;
  private static final int VOLUME_BLOCKS = 1024; // 4 MiB: half the log, written once (cold)
  private static final int HOT_BLOCKS = 128; // 512 KiB, overwritten over and over

  @TempDir Path directory;

  @Test
  void segmentsHoldClientBatchesOrMovedDataNeverBoth() throws Exception {
    StoreConfiguration config =
        StoreConfiguration.at(new StoreLocation.Directory(directory))
            .logBytes(LOG_BYTES)
            .segmentBytes(SEGMENT_BYTES)
            .batchBytesMax(64 << 10)
            .requestBytesMax(64 << 10)
            .inFlightBytesMax(1 << 20)
            .readsInFlightMax(8)
            .checkpointIntervalBytes(1 << 20)
            .cleanerInFlightBytes(128 << 10)
            .build();
    int[] generation = new int[VOLUME_BLOCKS];
    try (Arena arena = Arena.ofShared()) {
      try (Store store = Store.open(config)) {
        Volume volume = store.createVolume("vm", (long) VOLUME_BLOCKS * BLOCK);
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        for (int block = 0; block < VOLUME_BLOCKS; block++) {
          generation[block] = 1;
          inFlight.add(volume.write((long) block * BLOCK, tagged(arena, block, 1), false));
          awaitEvery(inFlight, 16);
        }
        Random random = new Random(7);
        for (long i = 0; i < 3 * LOG_BYTES / BLOCK; i++) {
          int block = random.nextInt(HOT_BLOCKS);
          generation[block]++;
          inFlight.add(
              volume.write((long) block * BLOCK, tagged(arena, block, generation[block]), false));
          awaitEvery(inFlight, 16);
        }
        awaitEvery(inFlight, 1);
        assertThat(store.status().cleanerBytesWritten()).as("the cleaner moved data").isPositive();
      }

      Map<Integer, List<LoggedBatch>> chains = currentChains(directory);
      assertThat(chains.values())
          .as("segments written by the cold head")
          .anyMatch(chain -> chain.getFirst().cold());
      chains.forEach(
          (segment, chain) ->
              assertThat(chain)
                  .as("batches of segment %d", segment)
                  .allMatch(batch -> batch.cold() == chain.getFirst().cold()));

      try (Store store = Store.open(config)) {
        MemorySegment read = arena.allocate(BLOCK, BLOCK);
        for (int block = 0; block < VOLUME_BLOCKS; block++) {
          store.volume("vm").read((long) block * BLOCK, read).get();
          assertThat(read.mismatch(tagged(arena, block, generation[block])))
              .as("block %d generation %d", block, generation[block])
              .isEqualTo(-1);
        }
      }
    }
  }

  /**
   * Per segment, the batches of its current use: from its start, while sequences rise (what follows
   * is left from an earlier use of the segment).
   */
  private static Map<Integer, List<LoggedBatch>> currentChains(Path directory) throws Exception {
    Map<Integer, List<LoggedBatch>> chains = new TreeMap<>();
    List<LoggedBatch> batches = new ArrayList<>(LoggedBatch.scan(directory, SEGMENT_BYTES));
    batches.sort((a, b) -> Long.compare(a.fileOffsetBytes(), b.fileOffsetBytes()));
    for (LoggedBatch batch : batches) {
      List<LoggedBatch> chain = chains.computeIfAbsent(batch.segment(), s -> new ArrayList<>());
      boolean continues =
          chain.isEmpty()
              ? batch.offsetBytes() == 0
              : chain.getLast().offsetBytes() + chain.getLast().totalBytes() == batch.offsetBytes()
                  && chain.getLast().sequence() < batch.sequence();
      if (continues) {
        chain.add(batch);
      }
    }
    chains.values().removeIf(List::isEmpty);
    return chains;
  }
}
