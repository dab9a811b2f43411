package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.nativeio.IoEngine;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A batch goes to the log as one write of its header blocks and its data, and the I/O engine takes
 * at most {@link IoEngine#MAX_TRANSFER_BYTES} per operation: a data area that would leave no room
 * for the largest header (16 blocks) is refused when the store is configured, not when the first
 * full batch fails to be written.
 */
class BatchesMustFitOneWriteTest {
  private static final int LARGEST_SEGMENT_BYTES = Integer.MAX_VALUE / 4096 * 4096;

  private static StoreConfiguration.Builder largestSegments() {
    return StoreConfiguration.at(new StoreLocation.Directory(Path.of("/nowhere")))
        .segmentBytes(LARGEST_SEGMENT_BYTES)
        .logBytes(4L * LARGEST_SEGMENT_BYTES)
        .checkpointIntervalBytes(LARGEST_SEGMENT_BYTES);
  }

  @Test
  void aDataAreaWithoutRoomForTheLargestHeaderIsRefused() {
    assertThatThrownBy(
            () -> largestSegments().batchBytesMax(IoEngine.MAX_TRANSFER_BYTES - 4096).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("batchBytesMax=1073737728")
        .hasMessageContaining("at most " + (IoEngine.MAX_TRANSFER_BYTES - 16 * 4096));
  }

  @Test
  void theLargestDataAreaThatFitsIsAccepted() {
    int largest = IoEngine.MAX_TRANSFER_BYTES - 16 * 4096;
    assertThat(largestSegments().batchBytesMax(largest).build().batchBytesMax()).isEqualTo(largest);
  }
}
