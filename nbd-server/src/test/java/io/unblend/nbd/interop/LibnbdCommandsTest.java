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
 * Every transmission command and flag, driven by libnbd (python3-libnbd) with structured replies
 * and base:allocation, as doc/proto.md "Request types", "Command flags", "Error values" and "Size
 * constraints" describe them. Each test has a volume of its own.
 */
class LibnbdCommandsTest {
  @TempDir static Path dataDirectory;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server =
        ServerProcess.in(dataDirectory)
            .volume("commands", "16M")
            .volume("chunks", "16M")
            .volume("bounds", "1M")
            .volume("empty", "1M")
            .volume("unaligned", "1M")
            .volume("shared", "16M")
            .volume("queue", "16M")
            .volume("status", "16M")
            .start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void everyCommandAndFlagIsAccepted() {
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1])
            data = pattern(1, 65536)
            report("pwrite", outcome(lambda: h.pwrite(data, 0)))
            report("pwrite FUA", outcome(lambda: h.pwrite(data, 65536, nbd.CMD_FLAG_FUA)))
            report("pread", "same" if h.pread(131072, 0) == data + data else "different")
            report("flush", outcome(h.flush))
            report("trim", outcome(lambda: h.trim(4096, 0)))
            report("trim FUA", outcome(lambda: h.trim(4096, 4096, nbd.CMD_FLAG_FUA)))
            report("zero", outcome(lambda: h.zero(4096, 8192)))
            report("zero NO_HOLE", outcome(lambda: h.zero(4096, 12288, nbd.CMD_FLAG_NO_HOLE)))
            report("zero FAST_ZERO", outcome(lambda: h.zero(4096, 16384, nbd.CMD_FLAG_FAST_ZERO)))
            report("zero FUA|NO_HOLE|FAST_ZERO", outcome(lambda: h.zero(
                4096, 20480, nbd.CMD_FLAG_FUA | nbd.CMD_FLAG_NO_HOLE | nbd.CMD_FLAG_FAST_ZERO)))
            report("zeroed ranges read zeros", h.pread(24576, 0) == bytes(24576))
            report("the rest is untouched", h.pread(65536 - 24576, 24576) == data[24576:])
            report("cache", outcome(lambda: h.cache(131072, 0)))
            report("block_status REQ_ONE", show(extents(h, 131072, 0, nbd.CMD_FLAG_REQ_ONE)))
            read, seen = chunks(h, 65536, 65536, nbd.CMD_FLAG_DF)
            report("pread DF", show(seen))
            report("pread DF data", read == data)
            """,
            server.uri("commands"));

    assertThat(results)
        .containsExactly(
            entry("pwrite", "ok"),
            entry("pwrite FUA", "ok"),
            entry("pread", "same"),
            entry("flush", "ok"),
            entry("trim", "ok"),
            entry("trim FUA", "ok"),
            entry("zero", "ok"),
            entry("zero NO_HOLE", "ok"),
            entry("zero FAST_ZERO", "ok"),
            entry("zero FUA|NO_HOLE|FAST_ZERO", "ok"),
            entry("zeroed ranges read zeros", "True"),
            entry("the rest is untouched", "True"),
            entry("cache", "ok"),
            // Two trims and a plain write zeroes leave 12 KiB of hole|zero (3), then NO_HOLE
            // zeros (2) start; REQ_ONE gives exactly the first descriptor.
            entry("block_status REQ_ONE", "12288:3"),
            entry("pread DF", "65536:65536:data"),
            entry("pread DF data", "True"));
  }

  @Test
  void readsSendHolesAsOffsetHoleChunksUnlessDontFragmentIsSet() {
    // "NBD_CMD_READ", structured replies: data and holes may come as OFFSET_DATA and OFFSET_HOLE
    // chunks; with NBD_CMD_FLAG_DF at most one content chunk, the zeros explicitly present.
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1])
            data = pattern(2, 65536)
            h.pwrite(data, 65536)
            whole = bytes(65536) + data + bytes(65536)
            read, seen = chunks(h, 196608, 0)
            report("fragmented", show(seen))
            report("fragmented data", read == whole)
            read, seen = chunks(h, 196608, 0, nbd.CMD_FLAG_DF)
            report("DF", show(seen))
            report("DF data", read == whole)
            read, seen = chunks(h, 65536, 1048576)
            report("all hole", show(seen))
            """,
            server.uri("chunks"));

    assertThat(results)
        .containsExactly(
            entry("fragmented", "0:65536:hole,65536:65536:data,131072:65536:hole"),
            entry("fragmented data", "True"),
            entry("DF", "0:196608:data"),
            entry("DF data", "True"),
            entry("all hole", "1048576:65536:hole"));
  }

  @Test
  void requestsPastTheEndFailWithEinvalOrEnospc() {
    // "Error values": ENOSPC for a write (and write zeroes) beyond the end, EINVAL for a read or
    // trim beyond the end; "NBD_CMD_BLOCK_STATUS": EINVAL beyond the end. libnbd checks bounds
    // itself (STRICT_BOUNDS), so the strict handle shows libnbd's refusal and the relaxed one
    // shows the server's answer. The connection stays usable after each error.
    Map<String, String> results =
        LibnbdScript.run(
            """
            strict = connect(sys.argv[1])
            size = strict.get_size()
            report("strict pread past end", refused_client_side(lambda: strict.pread(4096, size)))
            h = connect(sys.argv[1], strict=False)
            report("pread past end", outcome(lambda: h.pread(4096, size)))
            report("pread across end", outcome(lambda: h.pread(4096, size - 512)))
            report("pwrite past end", outcome(lambda: h.pwrite(bytes(4096), size)))
            report("pwrite across end", outcome(lambda: h.pwrite(bytes(4096), size - 512)))
            report("zero past end", outcome(lambda: h.zero(4096, size)))
            report("trim past end", outcome(lambda: h.trim(4096, size)))
            report("cache past end", outcome(lambda: h.cache(4096, size)))
            report("block_status past end", outcome(lambda: extents(h, 4096, size)))
            report("last sector", outcome(lambda: h.pwrite(b"z" * 512, size - 512)))
            report("last sector reads back", h.pread(512, size - 512) == b"z" * 512)
            """,
            server.uri("bounds"));

    assertThat(results)
        .containsExactly(
            entry("strict pread past end", "EINVAL by client"),
            entry("pread past end", "EINVAL"),
            entry("pread across end", "EINVAL"),
            entry("pwrite past end", "ENOSPC"),
            entry("pwrite across end", "ENOSPC"),
            entry("zero past end", "ENOSPC"),
            entry("trim past end", "EINVAL"),
            entry("cache past end", "EINVAL"),
            entry("block_status past end", "EINVAL"),
            entry("last sector", "ok"),
            entry("last sector reads back", "True"));
  }

  @Test
  void zeroLengthRequestsAreAnsweredWithoutDisconnecting() {
    // For READ, WRITE, TRIM, WRITE_ZEROES and BLOCK_STATUS "the behavior of a server on such a
    // request is unspecified although the server SHOULD NOT disconnect". This server does nothing
    // and succeeds, except for block status, which must return at least one non-zero-length
    // descriptor and so fails with EINVAL. libnbd refuses all of them itself (STRICT_ZERO_SIZE)
    // unless relaxed.
    Map<String, String> results =
        LibnbdScript.run(
            """
            strict = connect(sys.argv[1])
            report("strict pread", refused_client_side(lambda: strict.pread(0, 0)))
            h = connect(sys.argv[1], strict=False)
            h.pwrite(b"k" * 512, 0)
            report("pread", outcome(lambda: h.pread(0, 0)))
            report("pwrite", outcome(lambda: h.pwrite(b"", 0)))
            report("trim", outcome(lambda: h.trim(0, 0)))
            report("zero", outcome(lambda: h.zero(0, 0)))
            report("cache", outcome(lambda: h.cache(0, 0)))
            report("block_status", outcome(lambda: extents(h, 0, 0)))
            report("still connected", h.pread(512, 0) == b"k" * 512)
            """,
            server.uri("empty"));

    assertThat(results)
        .containsExactly(
            entry("strict pread", "EINVAL by client"),
            entry("pread", "ok"),
            entry("pwrite", "ok"),
            entry("trim", "ok"),
            entry("zero", "ok"),
            entry("cache", "ok"),
            entry("block_status", "EINVAL"),
            entry("still connected", "True"));
  }

  @Test
  void libnbdKeepsToTheAdvertisedMinimumBlockItAgreedTo() {
    // NBD_INFO_BLOCK_SIZE advertises a 512-byte minimum block, and libnbd requests it in
    // NBD_OPT_GO,
    // which commits it to those constraints ("Size constraints": "it MUST abide by the size
    // constraints it receives"). So libnbd refuses unaligned requests itself (STRICT_ALIGN,
    // "request is unaligned") and nothing reaches the server. What the server does with unaligned
    // requests from clients that did not agree is UnalignedRequestsAreByteGranularTest.
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1])
            report("minimum block", h.get_block_size(nbd.SIZE_MINIMUM))
            report("preferred block", h.get_block_size(nbd.SIZE_PREFERRED))
            report("maximum block", h.get_block_size(nbd.SIZE_MAXIMUM))
            before = pattern(3, 4096)
            h.pwrite(before, 0)
            report("pread length 100", refused_client_side(lambda: h.pread(100, 0)))
            report("pread offset 100", refused_client_side(lambda: h.pread(512, 100)))
            report("pwrite length 100", refused_client_side(lambda: h.pwrite(b"u" * 100, 512)))
            report("trim offset 1", refused_client_side(lambda: h.trim(512, 1)))
            report("zero length 511", refused_client_side(lambda: h.zero(511, 0)))
            report("data unchanged", h.pread(4096, 0) == before)
            """,
            server.uri("unaligned"));

    assertThat(results)
        .containsExactly(
            entry("minimum block", "512"),
            entry("preferred block", "4096"),
            entry("maximum block", "33554432"),
            entry("pread length 100", "EINVAL by client"),
            entry("pread offset 100", "EINVAL by client"),
            entry("pwrite length 100", "EINVAL by client"),
            entry("trim offset 1", "EINVAL by client"),
            entry("zero length 511", "EINVAL by client"),
            entry("data unchanged", "True"));
  }

  @Test
  void aFlushOnOneConnectionCoversWritesCompletedOnAnother() {
    // NBD_FLAG_CAN_MULTI_CONN ("Transmission flags"): a flush on any connection covers every write
    // completed on any connection, and all connections see the same data.
    Map<String, String> results =
        LibnbdScript.run(
            """
            a = connect(sys.argv[1])
            b = connect(sys.argv[1])
            c = connect(sys.argv[1])
            report("multi-conn", a.can_multi_conn() and b.can_multi_conn() and c.can_multi_conn())
            data = pattern(4, 1 << 20)
            a.pwrite(data, 4 << 20)
            report("flush on b", outcome(b.flush))
            report("c reads a's write", c.pread(1 << 20, 4 << 20) == data)
            c.zero(65536, 4 << 20)
            report("flush on a", outcome(a.flush))
            report("b reads c's zeroes", b.pread(65536, 4 << 20) == bytes(65536))
            """,
            server.uri("shared"));

    assertThat(results)
        .containsExactly(
            entry("multi-conn", "True"),
            entry("flush on b", "ok"),
            entry("c reads a's write", "True"),
            entry("flush on a", "ok"),
            entry("b reads c's zeroes", "True"));
  }

  @Test
  void sixtyFourRequestsInFlightOnOneConnectionAllComplete() {
    // "Transmission": requests may be handled and answered in any order; each reply carries the
    // request's cookie. 64 writes, then 64 reads, are all issued before the first is awaited.
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1])
            count, size = 64, 65536
            blocks = [pattern(100 + i, size) for i in range(count)]
            writes = [h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(blocks[i])), i * size)
                      for i in range(count)]
            report("writes in flight", h.aio_in_flight())
            while h.aio_in_flight() > 0:
                h.poll(-1)
            report("writes done", all(h.aio_command_completed(c) for c in writes))
            buffers = [nbd.Buffer(size) for i in range(count)]
            reads = [h.aio_pread(buffers[i], i * size) for i in range(count)]
            report("reads in flight", h.aio_in_flight())
            while h.aio_in_flight() > 0:
                h.poll(-1)
            report("reads done", all(h.aio_command_completed(c) for c in reads))
            report("every block read back", all(
                bytes(buffers[i].to_bytearray()) == blocks[i] for i in range(count)))
            """,
            server.uri("queue"));

    assertThat(results)
        .containsExactly(
            entry("writes in flight", "64"),
            entry("writes done", "True"),
            entry("reads in flight", "64"),
            entry("reads done", "True"),
            entry("every block read back", "True"));
  }

  @Test
  void blockStatusReportsHolesAfterTrimAndZeroesAfterWriteZeroes() {
    // "base:allocation": NBD_STATE_HOLE (1) and NBD_STATE_ZERO (2). A trim, and a write zeroes
    // without NO_HOLE, leave a hole that reads as zeros (3); a write zeroes with NO_HOLE leaves
    // allocated zeros (2); data is 0. A fresh thin volume is one hole.
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1])
            report("fresh", show(extents(h, 1 << 20, 0)))
            h.pwrite(pattern(5, 262144), 0)
            report("written", show(extents(h, 1 << 20, 0)))
            h.trim(65536, 0)
            h.zero(65536, 65536)
            h.zero(65536, 131072, nbd.CMD_FLAG_NO_HOLE)
            report("after trim, zero, zero NO_HOLE", show(extents(h, 1 << 20, 0)))
            report("REQ_ONE", show(extents(h, 1 << 20, 65536, nbd.CMD_FLAG_REQ_ONE)))
            report("REQ_ONE within a short request", show(
                extents(h, 4096, 0, nbd.CMD_FLAG_REQ_ONE)))
            report("zeros read back", h.pread(196608, 0) == bytes(196608))
            """,
            server.uri("status"));

    assertThat(results)
        .containsExactly(
            entry("fresh", "1048576:3"),
            entry("written", "262144:0,786432:3"),
            entry("after trim, zero, zero NO_HOLE", "131072:3,65536:2,65536:0,786432:3"),
            entry("REQ_ONE", "65536:3"),
            entry("REQ_ONE within a short request", "4096:3"),
            entry("zeros read back", "True"));
  }
}
