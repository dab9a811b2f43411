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
 * A server that advertises a maximum payload of 64 KiB ({@code --max-request 64K}) never sends a
 * reply chunk with more than that, though it serves larger reads to clients: doc/proto.md
 * "Structured reply types", "A server MUST NOT send a chunk where any variable-length portion of
 * the chunk is larger than any advertised maximum payload size". Driven by libnbd (python3-libnbd),
 * whose chunk callbacks see each chunk.
 */
class RepliesStayWithinTheAdvertisedMaximumTest {
  private static final int MAXIMUM = 65536;

  @TempDir static Path dataDirectory;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server =
        ServerProcess.in(dataDirectory)
            .volume("reads", "16M")
            .volume("status", "16M")
            .arguments("--max-request", "64K")
            .start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void readsLargerThanTheMaximumComeInChunksOfAtMostIt() {
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1], strict=False)
            report("maximum", h.get_block_size(nbd.SIZE_MAXIMUM))
            data = pattern(3, 4 * 65536)
            for i in range(4):
                h.pwrite(data[i * 65536:(i + 1) * 65536], i * 65536)
            read, seen = chunks(h, 4 * 65536, 0)
            report("data", show(seen))
            report("data read", read == data)
            # A trimmed range next to one zeroed with NO_HOLE: both read as zeros, one hole chunk
            # ("A server SHOULD try to minimize the number of chunks").
            h.zero(65536, 0, nbd.CMD_FLAG_NO_HOLE)
            h.trim(65536, 65536)
            read, seen = chunks(h, 3 * 65536, 0)
            report("holes together", show(seen))
            report("holes read", read == bytes(2 * 65536) + data[2 * 65536:3 * 65536])
            # NBD_CMD_READ: "A server MAY reject a client's request with the error NBD_EOVERFLOW if
            # the length is too large to send without fragmentation"; 64 KiB it "MUST support".
            report("DF over the maximum",
                   outcome(lambda: h.pread_structured(
                       2 * 65536, 0, lambda *a: 0, nbd.CMD_FLAG_DF)))
            read, seen = chunks(h, 65536, 2 * 65536, nbd.CMD_FLAG_DF)
            report("DF at the maximum", show(seen))
            """,
            server.uri("reads"));

    assertThat(results)
        .containsExactly(
            entry("maximum", String.valueOf(MAXIMUM)),
            entry("data", "0:65536:data,65536:65536:data,131072:65536:data,196608:65536:data"),
            entry("data read", "True"),
            entry("holes together", "0:131072:hole,131072:65536:data"),
            entry("holes read", "True"),
            entry("DF over the maximum", "EOVERFLOW"),
            entry("DF at the maximum", "131072:65536:data"));
  }

  @Test
  void blockStatusSendsNoMoreDescriptorsThanFitInTheMaximum() {
    // "NBD_REPLY_TYPE_BLOCK_STATUS": 8 bytes per descriptor, so 8 192 fit in 64 KiB; the server
    // "MAY return fewer descriptors in the reply than would be required to fully specify the
    // whole range". 8 200 pairs of a written and a trimmed sector make 16 400 runs.
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1])
            sector = pattern(4, 512)
            for i in range(8200):
                h.aio_pwrite(sector, i * 1024)
                while h.aio_in_flight() > 32:
                    h.poll(-1)
            while h.aio_in_flight() > 0:
                h.poll(-1)
            found = extents(h, 8200 * 1024, 0)
            report("descriptors", len(found))
            report("first", show(found[:2]))
            report("covered", sum(length for length, flags in found))
            """,
            server.uri("status"));

    assertThat(results)
        .containsExactly(
            entry("descriptors", "8192"),
            entry("first", "512:0,512:3"),
            entry("covered", String.valueOf(8192 * 512)));
  }
}
