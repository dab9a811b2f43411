package io.unblend.nativeio;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.nativeio.fallback.PositionalIoEngine;
import io.unblend.nativeio.uring.UringIoEngine;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A raw block device (a loop device over a file, as a user would give a partition): its size comes
 * from BLKGETSIZE64, its alignment from BLKSSZGET, and O_DIRECT I/O works on both engines. Needs
 * root and losetup (util-linux), as CI has.
 */
class BlockDeviceTest {
  private static final long DEVICE_BYTES = 64L << 20;

  @TempDir Path folder;

  @Test
  void ioUringSizesAndWritesALoopDevice() throws Exception {
    try (IoEngine engine = UringIoEngine.open(8)) {
      sizesAndWrites(engine);
    }
  }

  @Test
  void fallbackSizesAndWritesALoopDevice() throws Exception {
    try (IoEngine engine = new PositionalIoEngine(8)) {
      sizesAndWrites(engine);
    }
  }

  private void sizesAndWrites(IoEngine engine) throws Exception {
    Path backing = folder.resolve("disk.img");
    try (RandomAccessFile file = new RandomAccessFile(backing.toFile(), "rw")) {
      file.setLength(DEVICE_BYTES);
    }
    String device = run("losetup", "--find", "--show", "--sector-size", "512", backing.toString());
    try (Arena arena = Arena.ofConfined();
        IoFile disk = engine.open(Path.of(device), EnumSet.of(OpenFlag.WRITE, OpenFlag.DIRECT))) {
      assertThat(engine.sizeBytes(disk)).isEqualTo(DEVICE_BYTES);
      assertThat(disk.blockSizeBytes()).isEqualTo(512);

      BlockingIo io = new BlockingIo(engine);
      MemorySegment written = arena.allocate(8192, 4096);
      written.fill((byte) 0x5a);
      io.write(disk, DEVICE_BYTES - 8192, written);
      io.datasync(disk);
      MemorySegment read = arena.allocate(8192, 4096);
      assertThat(io.read(disk, DEVICE_BYTES - 8192, read)).isEqualTo(8192);
      assertThat(read.mismatch(written)).isEqualTo(-1);
      assertThat(io.read(disk, DEVICE_BYTES, read)).as("reading at the end").isZero();
    } finally {
      run("losetup", "--detach", device);
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    return SystemCommand.run(
        "this test needs root and losetup: apt-get install util-linux", command);
  }
}
