package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overwriting the same 4 MiB twenty-four times writes 96 MiB into a 64 MiB log (four 16 MiB
 * segments), but never holds more than 4 MiB of live data, so no write may fail: doc/proto.md
 * "Error values" gives NBD_ENOSPC for a device without space, and this volume never runs out. Space
 * that overwritten data frees must be reused (after whatever checkpoint makes it reusable) instead
 * of the write failing meanwhile.
 */
class OverwritesBeyondTheLogSizeSucceedTest {
  @TempDir static Path dataDirectory;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.in(dataDirectory).logSize("64M").volume("vol", "64M").start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void overwritesOfTheSameRangeWorthOneAndAHalfLogsAllSucceed() {
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1])
            failures = []
            for i in range(24):
                data = bytes([i + 1]) * (4 << 20)
                result = outcome(lambda: h.pwrite(data, 0))
                if result != "ok":
                    failures.append("write %d (after %d MiB): %s" % (i + 1, 4 * i, result))
            report("failed writes", "; ".join(failures) if failures else "none")
            report("last write reads back", h.pread(512, 0) == bytes([24]) * 512)
            """,
            server.uri("vol"));

    assertThat(results)
        .containsExactly(entry("failed writes", "none"), entry("last write reads back", "True"));
  }
}
