package io.unblend.nativeio.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Runs one operation at a time through an {@link IoEngine} and returns its completion's result. */
final class OneAtATime {
  static final long USER_DATA = 42;

  private OneAtATime() {}

  static int write(IoEngine engine, IoFile file, long offsetBytes, MemorySegment buffer)
      throws NativeIoException {
    assertThat(engine.prepareWrite(file, offsetBytes, buffer, USER_DATA)).isTrue();
    return awaitOne(engine);
  }

  static int read(IoEngine engine, IoFile file, long offsetBytes, MemorySegment buffer)
      throws NativeIoException {
    assertThat(engine.prepareRead(file, offsetBytes, buffer, USER_DATA)).isTrue();
    return awaitOne(engine);
  }

  static int datasync(IoEngine engine, IoFile file) throws NativeIoException {
    assertThat(engine.prepareDatasync(file, USER_DATA)).isTrue();
    return awaitOne(engine);
  }

  static int fallocate(IoEngine engine, IoFile file, int mode, long offsetBytes, long lengthBytes)
      throws NativeIoException {
    assertThat(engine.prepareFallocate(file, mode, offsetBytes, lengthBytes, USER_DATA)).isTrue();
    return awaitOne(engine);
  }

  static int nop(IoEngine engine) throws NativeIoException {
    assertThat(engine.prepareNop(USER_DATA)).isTrue();
    return awaitOne(engine);
  }

  /** A 4096-aligned buffer of {@code sizeBytes} bytes, each {@code value}. */
  static MemorySegment filled(Arena arena, long sizeBytes, int value) {
    MemorySegment buffer = arena.allocate(sizeBytes, 4096);
    buffer.fill((byte) value);
    return buffer;
  }

  static int awaitOne(IoEngine engine) throws NativeIoException {
    int[] result = new int[1];
    int delivered =
        engine.awaitCompletions(
            1,
            (userData, completionResult) -> {
              assertThat(userData).isEqualTo(USER_DATA);
              result[0] = completionResult;
            });
    assertThat(delivered).isEqualTo(1);
    return result[0];
  }
}
