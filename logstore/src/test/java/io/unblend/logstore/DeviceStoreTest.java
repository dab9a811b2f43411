package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store on a raw block device (a loop device, as a partition would be): formatted on first open,
 * reopened with its data, locked against a second open. Needs root and losetup.
 */
class DeviceStoreTest {
  @TempDir Path folder;

  @Test
  void aLoopDeviceHoldsAStoreAcrossReopens() throws Exception {
    Path backing = folder.resolve("disk.img");
    try (RandomAccessFile file = new RandomAccessFile(backing.toFile(), "rw")) {
      file.setLength(64L << 20);
    }
    String device = run("losetup", "--find", "--show", backing.toString());
    try (Arena arena = Arena.ofShared()) {
      StoreConfiguration config =
          StoreConfiguration.at(new StoreLocation.Device(Path.of(device)))
              .logBytes(0)
              .segmentBytes(4 << 20)
              .batchBytesMax(256 << 10)
              .requestBytesMax(1 << 20)
              .inFlightBytesMax(8 << 20)
              .readsInFlightMax(4)
              .checkpointIntervalBytes(8 << 20)
              .build();
      MemorySegment written = StoreFixtures.tagged(arena, 1, 100, 64, 3);
      try (Store store = Store.open(config)) {
        assertThat(store.logBytes()).isBetween(32L << 20, 64L << 20);
        Volume volume = store.createVolume("lun0", 16 << 20);
        volume.write(100 * 512, written, true).get();
        assertThatThrownBy(() -> Store.open(config))
            .isInstanceOf(StoreException.class)
            .hasMessageContaining("is in use");
      }
      try (Store store = Store.open(config.toBuilder().createIfMissing(false).build())) {
        MemorySegment read = arena.allocate(written.byteSize(), 4096);
        store.volume("lun0").read(100 * 512, read).get();
        assertThat(read.mismatch(written)).isEqualTo(-1);
      }
    } finally {
      run("losetup", "--detach", device);
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes()).trim();
    if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IllegalStateException(
          String.join(" ", command)
              + " failed: "
              + output
              + " (this test needs root and losetup: apt-get install util-linux)");
    }
    return output;
  }
}
