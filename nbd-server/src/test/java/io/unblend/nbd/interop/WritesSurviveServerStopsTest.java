package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client was told is durable survives the server process: writes with NBD_CMD_FLAG_FUA and
 * writes followed by NBD_CMD_FLUSH survive SIGKILL (doc/proto.md "Ordering of messages and
 * writes"); a SIGTERM drains and closes the store, so even unflushed writes that were answered
 * survive it.
 */
class WritesSurviveServerStopsTest {
  @TempDir Path dataDirectory;
  private ServerProcess server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void fuaAndFlushedWritesAndTrimsSurviveKillNine() throws Exception {
    server = ServerProcess.in(dataDirectory).volume("vol", "16M").start();
    Map<String, String> before =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1])
            h.pwrite(pattern(1, 1 << 20), 0, nbd.CMD_FLAG_FUA)
            h.pwrite(pattern(2, 1 << 20), 1 << 20)
            h.pwrite(pattern(3, 1 << 20), 2 << 20)
            h.trim(1 << 20, 2 << 20)
            h.zero(65536, 4 << 20, nbd.CMD_FLAG_NO_HOLE)
            report("flush", outcome(h.flush))
            """,
            server.uri("vol"));
    assertThat(before).containsExactly(entry("flush", "ok"));

    server.kill();
    server = ServerProcess.in(dataDirectory).volume("vol", "16M").start();

    assertThat(readBack())
        .containsExactly(
            entry("FUA write", "True"),
            entry("flushed write", "True"),
            entry("trimmed range reads zeros", "True"),
            // 2 MiB of data, the trimmed and the never written mebibytes as one hole, the
            // NO_HOLE zeros.
            entry("status", "2097152:0,2097152:3,65536:2"));
  }

  @Test
  void answeredWritesSurviveAGracefulStopWithoutAFlush() throws Exception {
    server = ServerProcess.in(dataDirectory).volume("vol", "16M").start();
    LibnbdScript.run(
        """
        h = connect(sys.argv[1])
        h.pwrite(pattern(1, 1 << 20), 0)
        h.pwrite(pattern(2, 1 << 20), 1 << 20)
        h.pwrite(pattern(3, 1 << 20), 2 << 20)
        h.trim(1 << 20, 2 << 20)
        h.zero(65536, 4 << 20, nbd.CMD_FLAG_NO_HOLE)
        """,
        server.uri("vol"));

    server.stop();
    // What the drain logs is not lost to java.util.logging's own shutdown hook.
    assertThat(server.output())
        .contains("NBD server drained and closed")
        .contains("unblend: stopped; store ");
    server = ServerProcess.in(dataDirectory).volume("vol", "16M").start();

    assertThat(readBack())
        .containsExactly(
            entry("FUA write", "True"),
            entry("flushed write", "True"),
            entry("trimmed range reads zeros", "True"),
            // 2 MiB of data, the trimmed and the never written mebibytes as one hole, the
            // NO_HOLE zeros.
            entry("status", "2097152:0,2097152:3,65536:2"));
  }

  private Map<String, String> readBack() {
    return LibnbdScript.run(
        """
        h = connect(sys.argv[1])
        report("FUA write", h.pread(1 << 20, 0) == pattern(1, 1 << 20))
        report("flushed write", h.pread(1 << 20, 1 << 20) == pattern(2, 1 << 20))
        report("trimmed range reads zeros", h.pread(1 << 20, 2 << 20) == bytes(1 << 20))
        report("status", show(extents(h, (4 << 20) + 65536, 0)))
        """,
        server.uri("vol"));
  }
}
