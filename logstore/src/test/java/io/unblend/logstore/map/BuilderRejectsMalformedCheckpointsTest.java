package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BuilderRejectsMalformedCheckpointsTest {
  @Test
  void anExtentThatOverlapsThePreviousOneIsRejected() {
    ExtentMap.Builder builder = ExtentMap.builder().add(0, 16, 100);
    assertThatThrownBy(() -> builder.add(8, 8, 500))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sector 8")
        .hasMessageContaining("sector 16");
  }

  @Test
  void anExtentBeforeThePreviousOneIsRejected() {
    ExtentMap.Builder builder = ExtentMap.builder().add(100, 8, 100);
    assertThatThrownBy(() -> builder.add(0, 8, 500)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anEmptyExtentIsRejected() {
    assertThatThrownBy(() -> ExtentMap.builder().add(0, 0, 100))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aHoleIsNotAnAddress() {
    assertThatThrownBy(() -> ExtentMap.builder().add(0, 8, ExtentMap.HOLE))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anExtentPastTheSectorLimitIsRejected() {
    assertThatThrownBy(() -> ExtentMap.builder().add(ExtentMap.SECTOR_LIMIT - 4, 8, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aBuilderBuildsOnce() {
    ExtentMap.Builder builder = ExtentMap.builder().add(0, 8, 100);
    builder.build();
    assertThatThrownBy(() -> builder.add(8, 8, 108)).isInstanceOf(IllegalStateException.class);
  }
}
