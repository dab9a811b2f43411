package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoEngines;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoConfiguration;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Creating a store that cannot be completed (a log larger than the free space, a disk that fills up
 * while the first checkpoint is written) fails with a message that says what to fix, and removes
 * the files it created: a half-made log would keep the disk full, and the next try would fail too.
 */
class FailedStoreCreationLeavesNothingBehindTest {
  @TempDir Path folder;

  @Test
  void aLogLargerThanTheFreeSpaceIsRefusedBeforeAnythingIsAllocated() throws Exception {
    Path data = folder.resolve("data");
    long freeBytes = Files.getFileStore(folder).getUsableSpace();
    long logBytes = (freeBytes / (1 << 20) + 1024) * (1 << 20);
    StoreConfiguration config = StoreFixtures.directory(data, logBytes).build();

    assertThatThrownBy(() -> Store.open(config))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC))
        .hasMessageContaining("does not fit in " + data)
        .hasMessageContaining("free; choose a smaller log size or free space");
    assertThat(storeFiles(data)).isEmpty();
  }

  @Test
  void aDiskThatFillsUpDuringCreationLeavesNoFilesAndTheNextTryWorks() throws Exception {
    Path data = folder.resolve("data");
    StoreConfiguration failing =
        StoreFixtures.directory(data, 16 << 20).engines(FullOnCheckpointWrites::new).build();

    assertThatThrownBy(() -> Store.open(failing))
        .isInstanceOf(NativeIoException.class)
        .hasMessageContaining("ENOSPC");
    assertThat(storeFiles(data)).isEmpty();

    try (Store store = Store.open(StoreFixtures.directory(data, 16 << 20).build())) {
      assertThat(store.createVolume("vm", 1 << 20).sizeBytes()).isEqualTo(1 << 20);
    }
    assertThat(storeFiles(data)).contains("superblock", "log", "checkpoint.0", "checkpoint.1");
  }

  @Test
  void anExistingStoreIsNeverRemovedWhenOpeningItFails() throws Exception {
    Path data = folder.resolve("data");
    try (Store store = Store.open(StoreFixtures.directory(data, 16 << 20).build())) {
      store.createVolume("vm", 1 << 20);
    }
    // Every write fails now; opening writes a checkpoint and so fails, but must keep the store.
    StoreConfiguration failing =
        StoreFixtures.directory(data, 16 << 20).engines(FullOnCheckpointWrites::new).build();
    assertThatThrownBy(() -> Store.open(failing)).isInstanceOf(NativeIoException.class);

    try (Store store = Store.open(StoreFixtures.directory(data, 16 << 20).build())) {
      assertThat(store.volume("vm").sizeBytes()).isEqualTo(1 << 20);
    }
  }

  private static List<String> storeFiles(Path data) throws Exception {
    try (Stream<Path> files = Files.list(data)) {
      return files
          .map(file -> file.getFileName().toString())
          .filter(name -> !name.equals("store.lock"))
          .toList();
    }
  }

  /** A real engine whose writes to checkpoint files fail as on a full disk. */
  private static final class FullOnCheckpointWrites extends DelegatingEngine {
    FullOnCheckpointWrites(int queueDepth) throws NativeIoException {
      super(
          IoEngines.open(
              new NativeIoConfiguration(NativeIoConfiguration.defaults().engine(), queueDepth)));
    }

    @Override
    public boolean prepareWrite(IoFile file, long offsetBytes, MemorySegment buffer, long userData)
        throws NativeIoException {
      if (file.path().getFileName().toString().startsWith("checkpoint.")) {
        throw NativeIoException.of(
            Errno.ENOSPC.number(), "write", file.path(), offsetBytes, buffer.byteSize());
      }
      return super.prepareWrite(file, offsetBytes, buffer, userData);
    }
  }
}
