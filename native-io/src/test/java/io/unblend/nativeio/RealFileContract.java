package io.unblend.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The engine contract plus what only a real file system shows: real ENOSPC from a full file system.
 */
abstract class RealFileContract extends IoEngineContract {
  /** The temporary folder of the test; it must be on a file system with O_DIRECT. */
  protected abstract Path folder();

  @Override
  protected Path newPath(String name) {
    return folder().resolve(name);
  }

  @Test
  void fallocateBeyondTheFreeSpaceFailsWithEnospc() throws Exception {
    try (SmallFileSystem small = SmallFileSystem.mount(folder())) {
      IoFile file = engine.open(small.path("huge"), DIRECT_RW);
      try {
        long tooMuch = 2 * SmallFileSystem.SIZE_BYTES;
        assertThatThrownBy(() -> io.fallocate(file, 0, 0, tooMuch))
            .isInstanceOfSatisfying(
                NativeIoException.class,
                e -> {
                  assertThat(e.errnoName()).isEqualTo("ENOSPC");
                  assertThat(e.lengthBytes()).isEqualTo(tooMuch);
                })
            .hasMessageContaining("fallocate failed: ENOSPC (no space left on device)")
            .hasMessageContaining("file=" + file.path());
      } finally {
        file.close();
      }
    }
  }

  @Test
  void writingPastTheFreeSpaceFailsWithEnospcAndKeepsWhatWasWritten() throws Exception {
    try (SmallFileSystem small = SmallFileSystem.mount(folder())) {
      IoFile file = engine.open(small.path("full"), DIRECT_RW);
      try {
        long offset = 0;
        NativeIoException failure = null;
        while (failure == null && offset <= 2 * SmallFileSystem.SIZE_BYTES) {
          try {
            io.write(file, offset, buffer(BLOCK, (int) (offset / BLOCK)));
            offset += BLOCK;
          } catch (NativeIoException e) {
            failure = e;
          }
        }
        assertThat(failure).isNotNull();
        assertThat(failure.errnoName()).isEqualTo("ENOSPC");
        assertThat(failure.offsetBytes()).isEqualTo(offset);
        assertThat(offset).isPositive();
        MemorySegment read = arena.allocate(BLOCK, BLOCK);
        for (long at = 0; at < offset; at += BLOCK) {
          io.read(file, at, read);
          assertThat(read.mismatch(buffer(BLOCK, (int) (at / BLOCK)))).isEqualTo(-1);
        }
      } finally {
        file.close();
      }
    }
  }
}
