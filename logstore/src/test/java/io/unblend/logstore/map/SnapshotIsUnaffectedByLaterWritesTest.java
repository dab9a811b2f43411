package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SnapshotIsUnaffectedByLaterWritesTest {
  private static final ExtentConsumer IGNORED = (address, sectorCount) -> {};

  @Test
  void writesToTheOriginalDoNotReachTheSnapshot() {
    ExtentMap original = new ExtentMap();
    original.put(0, 64, 1000, IGNORED);
    ExtentMap snapshot = original.snapshot();
    original.put(16, 8, 5000, IGNORED);
    original.remove(40, 8, IGNORED);
    assertThat(Piece.extents(snapshot)).containsExactly(new Piece(0, 64, 1000));
    assertThat(snapshot.extentCount()).isEqualTo(1);
    assertThat(snapshot.mappedSectors()).isEqualTo(64);
    assertThat(original.extentCount()).isEqualTo(4);
  }

  @Test
  void writesToTheSnapshotDoNotReachTheOriginal() {
    ExtentMap original = new ExtentMap();
    original.put(0, 64, 1000, IGNORED);
    ExtentMap snapshot = original.snapshot();
    snapshot.put(0, 8, ExtentMap.ZERO, IGNORED);
    assertThat(Piece.extents(original)).containsExactly(new Piece(0, 64, 1000));
    assertThat(Piece.extents(snapshot))
        .containsExactly(new Piece(0, 8, ExtentMap.ZERO), new Piece(8, 56, 1008));
  }

  /** Appending grows the previous extent in place, which must not happen to a shared one. */
  @Test
  void anAppendAfterASnapshotDoesNotGrowTheSharedExtent() {
    ExtentMap original = new ExtentMap();
    original.put(0, 8, 100, IGNORED);
    ExtentMap snapshot = original.snapshot();
    original.put(8, 8, 108, IGNORED);
    assertThat(Piece.extents(snapshot)).containsExactly(new Piece(0, 8, 100));
    assertThat(Piece.extents(original)).containsExactly(new Piece(0, 16, 100));
  }

  @Test
  void everySnapshotOfAChainKeepsItsMomentsContent() {
    Random random = new Random(42);
    ExtentMap original = new ExtentMap();
    List<ExtentMap> snapshots = new ArrayList<>();
    List<List<Piece>> contents = new ArrayList<>();
    for (int step = 0; step < 500; step++) {
      long startSector = random.nextInt(4096);
      original.put(startSector, 1 + random.nextInt(32), random.nextInt(1 << 20), IGNORED);
      if (step % 5 == 0) {
        snapshots.add(original.snapshot());
        contents.add(Piece.extents(original));
      }
    }
    for (int index = 0; index < snapshots.size(); index++) {
      snapshots.get(index).checkInvariants();
      assertThat(Piece.extents(snapshots.get(index))).isEqualTo(contents.get(index));
    }
  }

  @Test
  void aSnapshotOfASnapshotIsIndependentOfBoth() {
    ExtentMap original = new ExtentMap();
    original.put(0, 8, 100, IGNORED);
    ExtentMap first = original.snapshot();
    ExtentMap second = first.snapshot();
    first.put(8, 8, 108, IGNORED);
    second.put(8, 8, 208, IGNORED);
    original.remove(0, 4, IGNORED);
    assertThat(Piece.extents(first)).containsExactly(new Piece(0, 16, 100));
    assertThat(Piece.extents(second)).containsExactly(new Piece(0, 8, 100), new Piece(8, 8, 208));
    assertThat(Piece.extents(original)).containsExactly(new Piece(4, 4, 104));
  }
}
