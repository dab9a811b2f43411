package io.unblend.logstore.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.logstore.ChangedRun;
import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.StoreLocation;
import io.unblend.logstore.Volume;
import io.unblend.nativeio.sim.SimulatedDisk;
import io.unblend.nativeio.sim.SimulatedIoEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class SnapshotsAndClonesTest {
  private final SimulatedDisk disk = new SimulatedDisk(4096, 64L << 20);
  private final StoreConfiguration config =
      StoreConfiguration.at(new StoreLocation.Directory(Path.of("/sim/store")))
          .locking(false)
          .logBytes(8 << 20)
          .segmentBytes(256 << 10)
          .batchBytesMax(64 << 10)
          .requestBytesMax(64 << 10)
          .inFlightBytesMax(1 << 20)
          .readsInFlightMax(8)
          .checkpointIntervalBytes(512 << 10)
          .queueDepth(64)
          .engines(depth -> new SimulatedIoEngine(disk, depth))
          .build();

  @Test
  void aSnapshotKeepsTheOldDataAndACloneSharesItUntilWritten() throws Exception {
    try (Arena arena = Arena.ofShared()) {
      try (Store store = Store.open(config)) {
        Volume volume = store.createVolume("vm", 1 << 20);
        volume.write(0, filled(arena, 8192, 1), false).get();
        Volume snapshot = store.createSnapshot("vm", "s1");
        assertThat(snapshot.name()).isEqualTo("vm@s1");
        assertThat(snapshot.isSnapshot()).isTrue();
        volume.write(4096, filled(arena, 4096, 2), false).get();

        assertThat(read(arena, snapshot, 0, 8192))
            .isEqualTo(filled(arena, 8192, 1).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        assertThat(read(arena, volume, 4096, 4096)[0]).isEqualTo((byte) 2);

        Volume clone = store.cloneSnapshot("vm", "s1", "vm2");
        assertThat(read(arena, clone, 4096, 4096)[0]).isEqualTo((byte) 1);
        clone.write(0, filled(arena, 4096, 3), false).get();
        assertThat(read(arena, clone, 0, 4096)[0]).isEqualTo((byte) 3);
        assertThat(read(arena, snapshot, 0, 4096)[0]).isEqualTo((byte) 1);

        // Snapshots are read-only.
        assertThatThrownBy(() -> snapshot.write(0, filled(arena, 4096, 9), false).get())
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOfSatisfying(
                StoreException.class, e -> assertThat(e.errno().name()).isEqualTo("EPERM"));

        // Changed blocks: only the second 4 KiB block of vm differs from vm@s1.
        List<ChangedRun> changed = volume.changedSince(snapshot, 0, 1 << 20).get();
        assertThat(changed)
            .containsExactly(
                new ChangedRun(4096, false),
                new ChangedRun(4096, true),
                new ChangedRun((1 << 20) - 8192, false));

        // Bytes the snapshot never had count as changed once the volume grew.
        store.resizeVolume("vm", 2 << 20);
        assertThat(volume.changedSince(snapshot, (1 << 20) - 4096, 8192).get())
            .containsExactly(new ChangedRun(4096, false), new ChangedRun(4096, true));

        // Deleting the origin keeps the snapshot and the clone.
        store.deleteVolume("vm");
        assertThat(read(arena, snapshot, 4096, 4096)[0]).isEqualTo((byte) 1);
        volume.flush().get();
      }
      try (Store store = Store.open(config)) {
        assertThat(store.volume("vm")).isNull();
        Volume snapshot = store.volume("vm@s1");
        assertThat(snapshot.isSnapshot()).isTrue();
        assertThat(read(arena, snapshot, 4096, 4096)[0]).isEqualTo((byte) 1);
        Volume clone = store.volume("vm2");
        assertThat(clone.isSnapshot()).isFalse();
        assertThat(read(arena, clone, 0, 4096)[0]).isEqualTo((byte) 3);
        assertThat(read(arena, clone, 4096, 4096)[0]).isEqualTo((byte) 1);
        store.deleteSnapshot("vm", "s1");
        assertThat(read(arena, clone, 4096, 4096)[0]).isEqualTo((byte) 1);
      }
    }
  }

  @Test
  void aGroupSnapshotIsReplayedAfterAPowerCut() throws Exception {
    try (Arena arena = Arena.ofShared()) {
      Store store = Store.open(config);
      Volume a = store.createVolume("a", 1 << 20);
      Volume b = store.createVolume("b", 1 << 20);
      a.write(0, filled(arena, 4096, 1), false).get();
      b.write(0, filled(arena, 4096, 2), false).get();
      List<Volume> group = store.createGroupSnapshot("g", List.of("a", "b"));
      assertThat(group).extracting(Volume::name).containsExactly("a@g", "b@g");
      a.write(0, filled(arena, 4096, 3), false).get();
      b.write(0, filled(arena, 4096, 4), false).get();
      a.flush().get();
      store.abandon();
      disk.powerCutLosingAllUnsynced();

      try (Store reopened = Store.open(config)) {
        assertThat(reopened.recoveryReport().batchesReplayed()).isPositive();
        assertThat(read(arena, reopened.volume("a@g"), 0, 4096)[0]).isEqualTo((byte) 1);
        assertThat(read(arena, reopened.volume("b@g"), 0, 4096)[0]).isEqualTo((byte) 2);
        assertThat(read(arena, reopened.volume("a"), 0, 4096)[0]).isEqualTo((byte) 3);
        assertThat(reopened.status().snapshots()).isEqualTo(2);
        assertThatThrownBy(() -> reopened.createSnapshot("a", "g"))
            .isInstanceOfSatisfying(
                StoreException.class, e -> assertThat(e.errno().name()).isEqualTo("EEXIST"));
        assertThatThrownBy(() -> reopened.createSnapshot("a@g", "x"))
            .isInstanceOf(StoreException.class);
      }
    }
  }

  @Test
  void deletingEverythingFreesEverySegmentReference() throws Exception {
    try (Arena arena = Arena.ofShared();
        Store store = Store.open(config)) {
      Volume volume = store.createVolume("vm", 1 << 20);
      for (int i = 0; i < 16; i++) {
        volume.write(i * 65536L, filled(arena, 65536, i), false).get();
      }
      store.createSnapshot("vm", "s");
      store.cloneSnapshot("vm", "s", "c");
      volume.write(0, filled(arena, 65536, 99), false).get();
      assertThat(store.status().liveBytes()).isGreaterThanOrEqualTo(1 << 20);
      store.deleteVolume("vm");
      store.deleteVolume("c");
      assertThat(store.status().liveBytes()).isGreaterThanOrEqualTo(1 << 20);
      store.deleteSnapshot("vm", "s");
      assertThat(store.status().liveBytes()).isZero();
    }
  }

  @Test
  void manySnapshotsAndClonesComeBackFromACheckpointWrittenAsDifferences() throws Exception {
    int snapshots = 40;
    try (Arena arena = Arena.ofShared()) {
      try (Store store = Store.open(config)) {
        Volume volume = store.createVolume("vm", 1 << 20);
        for (int i = 0; i < snapshots; i++) {
          volume.write((i % 16) * 4096L, filled(arena, 4096, i + 1), false).get();
          if (i % 7 == 3) {
            volume.trim(((i + 5) % 16) * 4096L, 4096, false).get();
          }
          store.createSnapshot("vm", "s" + i);
        }
        Volume clone = store.cloneSnapshot("vm", "s10", "c");
        clone.write(0, filled(arena, 4096, 99), false).get();
        store.createSnapshot("c", "t");
        clone.write(4096, filled(arena, 4096, 98), false).get();
        store.deleteSnapshot("vm", "s20");
      }
      byte[][][] expected = new byte[snapshots][][];
      try (Store store = Store.open(config)) {
        for (int i = 0; i < snapshots; i++) {
          Volume snapshot = store.volume("vm@s" + i);
          if (i == 20) {
            assertThat(snapshot).isNull();
            continue;
          }
          expected[i] = new byte[16][];
          for (int block = 0; block < 16; block++) {
            expected[i][block] = read(arena, snapshot, block * 4096L, 4096);
          }
        }
        assertThat(read(arena, store.volume("c"), 0, 4096)[0]).isEqualTo((byte) 99);
        assertThat(read(arena, store.volume("c"), 4096, 4096)[0]).isEqualTo((byte) 98);
        assertThat(read(arena, store.volume("c@t"), 4096, 4096))
            .isEqualTo(read(arena, store.volume("vm@s10"), 4096, 4096));
      }
      // Replay the same history into a model of the blocks and compare.
      byte[][] blocks = new byte[16][4096];
      for (int i = 0; i < snapshots; i++) {
        java.util.Arrays.fill(blocks[i % 16], (byte) (i + 1));
        if (i % 7 == 3) {
          blocks[(i + 5) % 16] = new byte[4096];
        }
        if (i == 20) {
          continue;
        }
        for (int block = 0; block < 16; block++) {
          assertThat(expected[i][block]).as("vm@s%d block %d", i, block).isEqualTo(blocks[block]);
        }
      }
    }
  }

  private static MemorySegment filled(Arena arena, int bytes, int value) {
    MemorySegment data = arena.allocate(bytes, 4096);
    data.fill((byte) value);
    return data;
  }

  private static byte[] read(Arena arena, Volume volume, long offset, int bytes) throws Exception {
    MemorySegment into = arena.allocate(bytes, 4096);
    volume.read(offset, into).get();
    return into.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
  }
}
