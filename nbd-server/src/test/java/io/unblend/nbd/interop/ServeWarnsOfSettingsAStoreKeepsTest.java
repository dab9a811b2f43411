package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --log-size} and {@code --segment-size} shape a new store; on an existing one the server
 * starts as usual and says that they are ignored, rather than silently serving a store of another
 * shape than the command line reads (or refusing one that scripts start with the same flags).
 */
class ServeWarnsOfSettingsAStoreKeepsTest {
  @TempDir Path dataDirectory;

  @Test
  void otherLogAndSegmentSizesForAnExistingStoreAreIgnoredWithAWarning() throws Exception {
    ServerProcess.Builder created =
        ServerProcess.in(dataDirectory).volume("vol", "16M").logSize("256M").segmentSize("16M");
    try (ServerProcess first = created.start()) {
      assertThat(first.output()).doesNotContain("is ignored");
      first.stop();
    }

    ServerProcess.Builder reopened =
        ServerProcess.in(dataDirectory).volume("vol", "16M").logSize("512M").segmentSize("32M");
    try (ServerProcess second = reopened.start()) {
      assertThat(second.output())
          .contains("--segment-size 33554432 is ignored: the store has segments of 16777216 bytes")
          .contains("--log-size 536870912 is ignored: the store has a log of 268435456 bytes");
      second.stop();
    }

    try (ServerProcess same = created.start()) {
      assertThat(same.output()).doesNotContain("is ignored");
      same.stop();
    }
  }
}
