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
 * A volume larger than the log fills it: the write that finds no room gets NBD_ENOSPC (doc/proto.md
 * "Error values": "No space left on device"), with a message in the error chunk, and the server's
 * log says once that the log is full. Reads and flushes go on. Trimming data frees its space
 * without a restart: the next writes succeed, and the log says so. Nothing written before is lost.
 */
class AFullLogRefusesWritesUntilDataIsTrimmedTest {
  @TempDir static Path dataDirectory;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server =
        ServerProcess.in(dataDirectory)
            .logSize("64M")
            .segmentSize("16M")
            .volume("big", "128M")
            .start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void writesGetEnospcUntilATrimFreesSpace() {
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1])
            chunk = 4 << 20
            written = 0
            refused = None
            while written < h.get_size() and refused is None:
                try:
                    h.pwrite(pattern(written, chunk), written)
                    written += chunk
                except nbd.Error as e:
                    refused = e
            report("first refusal", refused.errno if refused else "none")
            report("the same write again, three times",
                   sorted({outcome(lambda: h.pwrite(pattern(written, chunk), written))
                           for i in range(3)}))
            report("flush while full", outcome(lambda: h.flush()))
            report("written before it reads back",
                   all(h.pread(chunk, o) == pattern(o, chunk) for o in range(0, written, chunk)))
            h.trim(written, 0)
            report("write after the trim",
                   outcome(lambda: h.pwrite(pattern(1, chunk), 0)))
            report("it reads back", h.pread(chunk, 0) == pattern(1, chunk))
            report("more than a third of the log fit before",
                   written > (64 << 20) // 3 or written)
            """,
            server.uri("big"));

    assertThat(results)
        .containsExactly(
            entry("first refusal", "ENOSPC"),
            entry("the same write again, three times", "['ENOSPC']"),
            entry("flush while full", "ok"),
            entry("written before it reads back", "True"),
            entry("write after the trim", "ok"),
            entry("it reads back", "True"),
            entry("more than a third of the log fit before", "True"));
    assertThat(server.output())
        .containsOnlyOnce("the log is full")
        .contains("the log has room for writes again");
  }
}
