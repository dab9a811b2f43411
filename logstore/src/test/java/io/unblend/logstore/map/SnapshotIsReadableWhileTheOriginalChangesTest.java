package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;

/**
 * The storage thread keeps writing while a checkpointer thread reads the snapshots it was handed:
 * every read must see exactly the content at the moment of the snapshot.
 */
class SnapshotIsReadableWhileTheOriginalChangesTest {
  private record Handover(ExtentMap snapshot, List<Piece> content) {}

  private static final Handover END = new Handover(null, List.of());

  @Test
  void aCheckpointerSeesEachSnapshotAsItWasTaken() throws Exception {
    LinkedBlockingQueue<Handover> handovers = new LinkedBlockingQueue<>(4);
    try (ExecutorService checkpointer = Executors.newSingleThreadExecutor()) {
      Future<Integer> checked = checkpointer.submit(() -> readAll(handovers));
      Random random = new Random(7);
      ExtentMap volume = new ExtentMap();
      long appendAddress = 0;
      for (int step = 0; step < 100_000; step++) {
        long startSector = random.nextInt(1 << 16) * 8L;
        volume.put(startSector, 8, appendAddress, (address, sectorCount) -> {});
        appendAddress += 8;
        if (step % 1_000 == 0) {
          handovers.put(new Handover(volume.snapshot(), Piece.extents(volume)));
        }
      }
      handovers.put(END);
      assertThat(checked.get()).isEqualTo(100);
    }
  }

  /** Reads each snapshot several times while the writer goes on; returns how many it checked. */
  private static int readAll(LinkedBlockingQueue<Handover> handovers) throws InterruptedException {
    int checked = 0;
    for (Handover handover = handovers.take(); handover != END; handover = handovers.take()) {
      for (int read = 0; read < 3; read++) {
        assertThat(Piece.extents(handover.snapshot())).isEqualTo(handover.content());
      }
      checked++;
    }
    return checked;
  }
}
