package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Random writes, zeroes, trims and snapshots on a few maps at once, each compared after every step
 * with a model that holds one address per sector. Some runs sit across a window boundary, where
 * extents must be cut.
 */
class ExtentMapMatchesModelTest {
  private static final int RANGE_SECTORS = 4096;

  /** The model covers this much more on each side, to see that nothing leaks out of the range. */
  private static final int MARGIN_SECTORS = 64;

  enum Kind {
    PUT,
    PUT_ZERO,
    REMOVE,
    SNAPSHOT
  }

  /**
   * One step on the map chosen by {@code target}. A write's address is its offset in the range plus
   * {@code addressShift}, so writes with the same shift continue each other and merge.
   */
  record Operation(Kind kind, int target, int offsetSectors, int sectorCount, long addressShift) {}

  @Property(tries = 1000)
  void mapsAndTheirSnapshotsMatchTheirModels(
      @ForAll("baseSectors") long baseSector,
      @ForAll("operationLists") List<Operation> operations) {
    List<ExtentMap> maps = new ArrayList<>(List.of(new ExtentMap()));
    List<SectorModel> models = new ArrayList<>(List.of(new SectorModel(baseSector, RANGE_SECTORS)));
    for (Operation operation : operations) {
      int target = operation.target() % maps.size();
      ExtentMap map = maps.get(target);
      SectorModel model = models.get(target);
      long startSector = baseSector + operation.offsetSectors();
      int sectorCount =
          Math.min(operation.sectorCount(), RANGE_SECTORS - operation.offsetSectors());
      switch (operation.kind()) {
        case PUT -> {
          long address = operation.offsetSectors() + operation.addressShift();
          checkRemoved(
              removed -> map.put(startSector, sectorCount, address, removed),
              model.put(startSector, sectorCount, address));
        }
        case PUT_ZERO ->
            checkRemoved(
                removed -> map.put(startSector, sectorCount, ExtentMap.ZERO, removed),
                model.put(startSector, sectorCount, ExtentMap.ZERO));
        case REMOVE ->
            checkRemoved(
                removed -> map.remove(startSector, sectorCount, removed),
                model.remove(startSector, sectorCount));
        case SNAPSHOT -> {
          maps.add(map.snapshot());
          models.add(model.copy());
          checkMatches(maps.getLast(), models.getLast(), startSector, sectorCount);
        }
      }
      checkMatches(map, model, startSector, sectorCount);
    }
    for (int index = 0; index < maps.size(); index++) {
      checkMatches(maps.get(index), models.get(index), baseSector, RANGE_SECTORS);
      checkRebuiltFromExtents(maps.get(index), models.get(index));
    }
  }

  private interface Change {
    void apply(ExtentConsumer removed);
  }

  /** The removed pieces, as sectors per address, must be the ones the model lost. */
  private static void checkRemoved(Change change, Map<Long, Long> expectedSectorsByAddress) {
    RemovedPieces removed = new RemovedPieces();
    change.apply(removed);
    assertThat(removed.sectorsByAddress()).isEqualTo(expectedSectorsByAddress);
  }

  private static void checkMatches(
      ExtentMap map, SectorModel model, long changedStartSector, int changedSectorCount) {
    map.checkInvariants();
    assertThat(map.extentCount()).isEqualTo(model.extentCount());
    assertThat(map.mappedSectors()).isEqualTo(model.mappedSectors());
    long startSector = model.baseSector - MARGIN_SECTORS;
    int sectorCount = model.sectorCount() + 2 * MARGIN_SECTORS;
    checkVisited(map, model, startSector, sectorCount);
    checkVisited(map, model, changedStartSector, changedSectorCount);
    List<Piece> extents = Piece.extents(map);
    assertThat(extents).hasSize((int) map.extentCount());
    assertThat(SectorModel.expand(extents, startSector, sectorCount))
        .isEqualTo(nonHoles(model.addresses(startSector, sectorCount)));
  }

  /** forEach must cover the range with contiguous pieces that hold the model's addresses. */
  private static void checkVisited(
      ExtentMap map, SectorModel model, long startSector, int sectorCount) {
    List<Piece> pieces = Piece.visited(map, startSector, sectorCount);
    long position = startSector;
    for (Piece piece : pieces) {
      assertThat(piece.startSector()).isEqualTo(position);
      assertThat(piece.sectorCount()).isPositive();
      position += piece.sectorCount();
    }
    assertThat(position).isEqualTo(startSector + sectorCount);
    assertThat(SectorModel.expand(pieces, startSector, sectorCount))
        .isEqualTo(model.addresses(startSector, sectorCount));
  }

  /** {@link SectorModel#expand} leaves unvisited sectors at Long.MIN_VALUE; so do holes here. */
  private static long[] nonHoles(long[] addresses) {
    long[] result = addresses.clone();
    for (int index = 0; index < result.length; index++) {
      if (result[index] == ExtentMap.HOLE) {
        result[index] = Long.MIN_VALUE;
      }
    }
    return result;
  }

  /** A checkpoint round trip: the builder must rebuild the same extents. */
  private static void checkRebuiltFromExtents(ExtentMap map, SectorModel model) {
    ExtentMap.Builder builder = ExtentMap.builder();
    map.forEachExtent(builder::add);
    ExtentMap rebuilt = builder.build();
    assertThat(Piece.extents(rebuilt)).isEqualTo(Piece.extents(map));
    checkMatches(rebuilt, model, model.baseSector, model.sectorCount());
  }

  @Provide
  Arbitrary<Long> baseSectors() {
    long window = ExtentWindows.WINDOW_SECTORS;
    return Arbitraries.of(
        (long) MARGIN_SECTORS, window - RANGE_SECTORS / 2, 5 * window - 100, window - 1);
  }

  @Provide
  Arbitrary<List<Operation>> operationLists() {
    Arbitrary<Kind> kinds =
        Arbitraries.frequencyOf(
            Tuple.of(10, Arbitraries.just(Kind.PUT)),
            Tuple.of(3, Arbitraries.just(Kind.PUT_ZERO)),
            Tuple.of(3, Arbitraries.just(Kind.REMOVE)),
            Tuple.of(1, Arbitraries.just(Kind.SNAPSHOT)));
    Arbitrary<Integer> targets = Arbitraries.integers().between(0, 7);
    Arbitrary<Integer> offsets =
        Arbitraries.oneOf(
            Arbitraries.integers().between(0, RANGE_SECTORS - 1),
            // Aligned offsets make neighbouring writes touch, which is where merging happens.
            Arbitraries.integers().between(0, RANGE_SECTORS / 8 - 1).map(block -> block * 8));
    Arbitrary<Integer> counts =
        Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.of(8, 16)),
            Tuple.of(3, Arbitraries.integers().between(1, 64)),
            Tuple.of(1, Arbitraries.integers().between(1, RANGE_SECTORS)));
    Arbitrary<Long> shifts =
        Arbitraries.oneOf(
            Arbitraries.of(0L, 10_000L, 20_000L),
            Arbitraries.longs().between(0, ExtentMap.SECTOR_LIMIT - 2 * RANGE_SECTORS));
    return Combinators.combine(kinds, targets, offsets, counts, shifts)
        .as(Operation::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(60);
  }
}
