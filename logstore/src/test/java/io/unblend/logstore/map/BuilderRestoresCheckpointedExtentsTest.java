package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BuilderRestoresCheckpointedExtentsTest {
  private static final ExtentConsumer IGNORED = (address, sectorCount) -> {};

  @Test
  void aMapRebuiltFromItsExtentsHasTheSameExtents() {
    Random random = new Random(3);
    ExtentMap map = new ExtentMap();
    for (int step = 0; step < 20_000; step++) {
      long address = random.nextInt(4) == 0 ? ExtentMap.ZERO : random.nextInt(1 << 24);
      map.put(random.nextInt(1 << 20), 1 + random.nextInt(64), address, IGNORED);
    }
    ExtentMap.Builder builder = ExtentMap.builder();
    map.forEachExtent(builder::add);
    ExtentMap rebuilt = builder.build();
    assertThat(Piece.extents(rebuilt)).isEqualTo(Piece.extents(map));
    assertThat(rebuilt.extentCount()).isEqualTo(map.extentCount());
    assertThat(rebuilt.mappedSectors()).isEqualTo(map.mappedSectors());
  }

  @Test
  void extentsThatContinueEachOtherAreMerged() {
    ExtentMap map =
        ExtentMap.builder()
            .add(0, 8, 100)
            .add(8, 8, 108)
            .add(16, 8, ExtentMap.ZERO)
            .add(24, 8, ExtentMap.ZERO)
            .add(40, 8, 140)
            .build();
    assertThat(Piece.extents(map))
        .containsExactly(
            new Piece(0, 16, 100), new Piece(16, 16, ExtentMap.ZERO), new Piece(40, 8, 140));
  }

  @Test
  void aRunLongerThanAWindowIsCutAtTheBoundary() {
    long window = ExtentWindows.WINDOW_SECTORS;
    ExtentMap map = ExtentMap.builder().add(window - 8, window, 0).build();
    assertThat(Piece.extents(map))
        .containsExactly(new Piece(window - 8, 8, 0), new Piece(window, window - 8, 8));
  }

  @Test
  void aBuiltMapCanBeWrittenAndSnapshotted() {
    ExtentMap map = ExtentMap.builder().add(0, 64, 1000).build();
    ExtentMap snapshot = map.snapshot();
    map.put(64, 8, 1064, IGNORED);
    snapshot.remove(0, 8, IGNORED);
    assertThat(Piece.extents(map)).containsExactly(new Piece(0, 72, 1000));
    assertThat(Piece.extents(snapshot)).containsExactly(new Piece(8, 56, 1008));
  }

  @Test
  void aMillionExtentsBuildInOnePass() {
    ExtentMap.Builder builder = ExtentMap.builder();
    for (long extent = 0; extent < 1_000_000; extent++) {
      builder.add(extent * 16, 8, extent * 64);
    }
    ExtentMap map = builder.build();
    assertThat(map.extentCount()).isEqualTo(1_000_000);
    assertThat(Piece.visited(map, 16 * 500_000L + 4, 8))
        .containsExactly(
            new Piece(16 * 500_000L + 4, 4, 64 * 500_000L + 4),
            new Piece(16 * 500_000L + 8, 4, ExtentMap.HOLE));
  }
}
