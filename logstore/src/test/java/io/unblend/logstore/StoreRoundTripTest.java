package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.nativeio.sim.SimulatedDisk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreRoundTripTest {
  @TempDir Path folder;

  @Test
  void writesSurviveACleanCloseAndReopenOnRealFiles() throws Exception {
    StoreConfiguration config = StoreFixtures.directory(folder.resolve("data"), 16 << 20).build();
    try (Arena arena = Arena.ofShared()) {
      MemorySegment written = StoreFixtures.tagged(arena, 1, 8, 24, 1);
      try (Store store = Store.open(config)) {
        Volume volume = store.createVolume("vm1", 64 << 20);
        volume.write(4096, written, false).get();
        MemorySegment read = arena.allocate(written.byteSize(), 4096);
        volume.read(4096, read).get();
        assertThat(read.mismatch(written)).isEqualTo(-1);
        volume.flush().get();
      }
      try (Store store = Store.open(config)) {
        assertThat(store.recoveryReport().batchesReplayed()).isZero();
        Volume volume = store.volume("vm1");
        assertThat(volume.sizeBytes()).isEqualTo(64 << 20);
        MemorySegment read = arena.allocate(written.byteSize(), 4096);
        volume.read(4096, read).get();
        assertThat(read.mismatch(written)).isEqualTo(-1);
        MemorySegment hole = arena.allocate(8192, 4096);
        hole.fill((byte) 7);
        volume.read(1 << 20, hole).get();
        assertThat(hole.mismatch(arena.allocate(8192))).isEqualTo(-1);
      }
    }
  }

  @Test
  @SuppressWarnings("try") // The open store only has to exist.
  void aSecondOpenOfTheSameDirectoryIsRefusedWithThePid() throws Exception {
    StoreConfiguration config = StoreFixtures.directory(folder.resolve("data"), 16 << 20).build();
    try (Store store = Store.open(config)) {
      assertThatThrownBy(() -> Store.open(config))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("is in use by process " + ProcessHandle.current().pid());
    }
  }

  @Test
  void lookingForAMissingStoreLeavesNothingBehind() throws Exception {
    Path empty = java.nio.file.Files.createDirectories(folder.resolve("empty"));
    StoreConfiguration config =
        StoreFixtures.directory(empty, 16 << 20).createIfMissing(false).build();
    assertThatThrownBy(() -> Store.open(config))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.errno().name()).isEqualTo("ENOENT"))
        .hasMessageContaining("holds no unblend store");
    try (var listing = java.nio.file.Files.list(empty)) {
      assertThat(listing).isEmpty();
    }
  }

  @Test
  void flushedWritesSurviveAPowerCutOnTheSimulatedDisk() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);
    StoreConfiguration config = StoreFixtures.simulated(disk, 8 << 20).build();
    try (Arena arena = Arena.ofShared()) {
      MemorySegment flushed = StoreFixtures.tagged(arena, 1, 0, 16, 1);
      Store store = Store.open(config);
      Volume volume = store.createVolume("a", 1 << 20);
      volume.write(0, flushed, false).get();
      volume.flush().get();
      volume.write(8192, StoreFixtures.tagged(arena, 1, 16, 8, 2), false).get();
      store.abandon();
      disk.powerCutLosingAllUnsynced();

      try (Store reopened = Store.open(config)) {
        Volume again = reopened.volume("a");
        MemorySegment read = arena.allocate(flushed.byteSize(), 4096);
        again.read(0, read).get();
        assertThat(read.mismatch(flushed)).isEqualTo(-1);
      }
    }
  }

  @Test
  void badRequestsAreRefusedWithTheRightErrno() throws Exception {
    SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);
    try (Store store = Store.open(StoreFixtures.simulated(disk, 8 << 20).build());
        Arena arena = Arena.ofShared()) {
      Volume volume = store.createVolume("a", 1 << 20);
      assertErrno(volume.write(1 << 20, arena.allocate(512, 512), false), "EINVAL");
      assertErrno(volume.write(100, arena.allocate(512, 512), false), "EINVAL");
      assertThatThrownBy(() -> store.createVolume("a", 4096))
          .isInstanceOfSatisfying(
              StoreException.class, e -> assertThat(e.errno().name()).isEqualTo("EEXIST"));
      store.deleteVolume("a");
      assertThat(store.listVolumes()).isEmpty();
      assertErrno(volume.read(0, arena.allocate(512, 512)), "ENOENT");
    }
  }

  private static void assertErrno(java.util.concurrent.CompletableFuture<?> future, String errno) {
    assertThatThrownBy(future::get)
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.errno().name()).isEqualTo(errno));
  }
}
