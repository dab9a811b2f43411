package io.unblend.nbd.interop;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/** Image files for the copy tests. */
final class TestImages {
  private TestImages() {}

  /** {@code bytes} of seeded random data. */
  static Path random(Path file, long bytes, long seed) throws IOException {
    Random random = new Random(seed);
    byte[] block = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long written = 0; written < bytes; written += block.length) {
        random.nextBytes(block);
        out.write(block, 0, (int) Math.min(block.length, bytes - written));
      }
    }
    return file;
  }

  /**
   * A sparse file of {@code bytes}: random data in every fourth mebibyte, holes elsewhere, so that
   * copies meet both data and zeros.
   */
  static Path sparse(Path file, long bytes, long seed) throws IOException {
    Random random = new Random(seed);
    byte[] block = new byte[1 << 20];
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (long offset = 0; offset < bytes; offset += 4L << 20) {
        random.nextBytes(block);
        channel.write(ByteBuffer.wrap(block), offset);
      }
      channel.truncate(bytes);
      if (channel.size() < bytes) {
        channel.write(ByteBuffer.allocate(1), bytes - 1);
      }
    }
    return file;
  }

  /** True when both files have the same bytes. */
  static boolean same(Path a, Path b) throws IOException {
    return Files.mismatch(a, b) == -1;
  }
}
