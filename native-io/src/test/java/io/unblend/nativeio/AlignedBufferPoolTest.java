package io.unblend.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.nativeio.file.AlignedBufferPool;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AlignedBufferPoolTest {
  @Test
  void handsOutDistinctAlignedBuffersUntilEmptyThenSignalsBackPressure() {
    try (AlignedBufferPool pool = new AlignedBufferPool(4, 8192, 4096)) {
      Set<Long> addresses = new HashSet<>();
      for (int i = 0; i < 4; i++) {
        MemorySegment buffer = pool.acquire();
        assertThat(buffer.byteSize()).isEqualTo(8192);
        assertThat(buffer.address() % 4096).isZero();
        assertThat(buffer.address())
            .isBetween(
                pool.region().address(), pool.region().address() + pool.region().byteSize() - 8192);
        addresses.add(buffer.address());
      }
      assertThat(addresses).hasSize(4);
      assertThat(pool.acquire()).as("exhausted pool").isNull();
    }
  }

  @Test
  void releasedBuffersComeBackAndDoubleReleaseIsABug() {
    try (AlignedBufferPool pool = new AlignedBufferPool(1, 4096, 4096)) {
      MemorySegment buffer = pool.acquire();
      pool.release(buffer);
      assertThat(pool.available()).isEqualTo(1);
      assertThatThrownBy(() -> pool.release(buffer))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("released twice");
      assertThat(pool.acquire().address()).isEqualTo(buffer.address());
    }
  }

  @Test
  void refusesSizesThatAreNotMultiplesOfTheAlignment() {
    assertThatThrownBy(() -> new AlignedBufferPool(1, 1000, 4096))
        .hasMessage("bufferBytes must be a positive multiple of 4096: 1000");
  }
}
