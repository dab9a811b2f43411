package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `--segment-size` accepts 64K to 1G. Below 2 MiB a 1 MiB batch no longer fits half a segment, so
 * the server gives such stores smaller batches; a write of the largest size the server advertises
 * (doc/proto.md "Block size constraints": the preferred maximum, 32 MiB here) is split over many
 * batches and reads back whole.
 */
class SmallSegmentsTakeLargeWritesTest {
  @TempDir Path dataDirectory;

  @Test
  void aServerWith64KiBSegmentsTakesA32MiBWrite() throws Exception {
    try (ServerProcess server =
        ServerProcess.in(dataDirectory)
            .segmentSize("64K")
            .logSize("96M")
            .volume("vol", "64M")
            .start()) {
      Map<String, String> results =
          LibnbdScript.run(
              """
              h = connect(sys.argv[1])
              data = bytes(range(256)) * (32 << 12)
              report("write", outcome(lambda: h.pwrite(data, 4096)))
              report("reads back", h.pread(len(data), 4096) == data)
              """,
              server.uri("vol"));
      assertThat(results).containsExactly(entry("write", "ok"), entry("reads back", "True"));
    }
  }
}
