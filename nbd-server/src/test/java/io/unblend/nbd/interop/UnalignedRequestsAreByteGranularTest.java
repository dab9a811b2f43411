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
 * A client that did not request NBD_INFO_BLOCK_SIZE has not agreed to the 512-byte minimum block,
 * and doc/proto.md "Size constraints" says that then "a server SHOULD support a default minimum
 * block size of 1 ... and a maximum payload size that is at least 2^25". The server serves such
 * requests byte by byte: reads read the surrounding sectors, writes and write zeroes read, patch
 * and write them back, trims trim the aligned interior. libnbd is driven with NBD_INFO_BLOCK_SIZE
 * not requested and its alignment check off.
 */
class UnalignedRequestsAreByteGranularTest {
  @TempDir static Path dataDirectory;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server =
        ServerProcess.in(dataDirectory)
            .volume("bytes", "1M")
            .volume("status", "1M")
            .volume("race", "1M")
            .volume("race-zero", "1M")
            .volume("large", "64M")
            .volume("fast", "1M")
            .start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void readsWritesAndWriteZeroesTouchExactlyTheBytesAsked() {
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect_without_block_size(sys.argv[1])
            expected = bytearray(pattern(6, 8192))
            h.pwrite(bytes(expected), 0)
            report("pread 100 at 0", h.pread(100, 0) == expected[0:100])
            report("pread 512 at 100", h.pread(512, 100) == expected[100:612])
            report("pwrite 100 at 612", outcome(lambda: h.pwrite(b"u" * 100, 612)))
            expected[612:712] = b"u" * 100
            report("zero 511 at 1000", outcome(lambda: h.zero(511, 1000)))
            expected[1000:1511] = bytes(511)
            report("zero 3000 at 2001 NO_HOLE", outcome(
                lambda: h.zero(3000, 2001, nbd.CMD_FLAG_NO_HOLE)))
            expected[2001:5001] = bytes(3000)
            report("pwrite 1 at 8191 FUA", outcome(lambda: h.pwrite(b"!", 8191, nbd.CMD_FLAG_FUA)))
            expected[8191:8192] = b"!"
            report("trim 1000 at 5001", outcome(lambda: h.trim(1000, 5001)))
            report("cache 10 at 7", outcome(lambda: h.cache(10, 7)))
            # The trim is advisory ("NBD_CMD_TRIM"), so its bytes are not checked.
            whole = h.pread(8192, 0)
            report("bytes outside the trim", whole[:5001] == expected[:5001]
                   and whole[6001:] == expected[6001:])
            """,
            server.uri("bytes"));

    assertThat(results)
        .containsExactly(
            entry("pread 100 at 0", "True"),
            entry("pread 512 at 100", "True"),
            entry("pwrite 100 at 612", "ok"),
            entry("zero 511 at 1000", "ok"),
            entry("zero 3000 at 2001 NO_HOLE", "ok"),
            entry("pwrite 1 at 8191 FUA", "ok"),
            entry("trim 1000 at 5001", "ok"),
            entry("cache 10 at 7", "ok"),
            entry("bytes outside the trim", "True"));
  }

  @Test
  void blockStatusWithReqOneNeverExceedsAnUnalignedRequestLength() {
    // "NBD_CMD_BLOCK_STATUS": "If the client used the NBD_CMD_FLAG_REQ_ONE flag, each chunk
    // contains exactly one descriptor where the length of the descriptor MUST NOT be greater than
    // the length of the request". Without REQ_ONE the final descriptor may extend further.
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect_without_block_size(sys.argv[1])
            h.pwrite(pattern(7, 8192), 0)
            report("1 at 0, REQ_ONE", show(extents(h, 1, 0, nbd.CMD_FLAG_REQ_ONE)))
            report("100 at 100, REQ_ONE", show(extents(h, 100, 100, nbd.CMD_FLAG_REQ_ONE)))
            report("1000 at 100, REQ_ONE", show(extents(h, 1000, 100, nbd.CMD_FLAG_REQ_ONE)))
            report("starts at the offset asked", show(extents(h, 8192, 100)[:1]))
            """,
            server.uri("status"));

    assertThat(results)
        .containsExactly(
            entry("1 at 0, REQ_ONE", "1:0"),
            entry("100 at 100, REQ_ONE", "100:0"),
            entry("1000 at 100, REQ_ONE", "1000:0"),
            entry("starts at the offset asked", "8092:0"));
  }

  @Test
  void anUnalignedWriteNeverUndoesAConcurrentAlignedWriteToTheSameSector() {
    // An aligned write of sector 0 and an unaligned write of bytes 10..109 are in flight together.
    // Whatever order the server applies them in, bytes 0..9 and 110..511 were written only by the
    // aligned write, so once both are answered they must hold its data ("NBD_CMD_WRITE": the
    // server MUST write the data, then reply). A read-modify-write that read the sector before the
    // aligned write and wrote it back after would bring old bytes back.
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect_without_block_size(sys.argv[1])
            rounds, lost = 100, 0
            for i in range(rounds):
                sector = bytes([i % 251 + 1]) * 512
                partial = h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(b"Y" * 100)), 10)
                whole = h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(sector)), 0)
                while h.aio_in_flight() > 0:
                    h.poll(-1)
                h.aio_command_completed(partial)
                h.aio_command_completed(whole)
                read = h.pread(512, 0)
                if read[:10] != sector[:10] or read[110:] != sector[110:]:
                    lost += 1
            report("rounds where the aligned write was undone", "%d of %d" % (lost, rounds))
            """,
            server.uri("race"));

    assertThat(results)
        .containsExactly(entry("rounds where the aligned write was undone", "0 of 100"));
  }

  @Test
  void anUnalignedWriteNeverUndoesAConcurrentAlignedWriteZeroesToTheSameSector() {
    // The same race with NBD_CMD_WRITE_ZEROES of sector 0: once both are answered, bytes 0..9 and
    // 110..511 must read as zeros ("NBD_CMD_WRITE_ZEROES": the server MUST zero the range before
    // it replies). TRIM takes the same path but is advisory, so its bytes cannot be checked.
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect_without_block_size(sys.argv[1])
            rounds, lost = 100, 0
            for i in range(rounds):
                h.pwrite(bytes([i % 251 + 1]) * 512, 0)
                partial = h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(b"Y" * 100)), 10)
                zero = h.aio_zero(512, 0)
                while h.aio_in_flight() > 0:
                    h.poll(-1)
                h.aio_command_completed(partial)
                h.aio_command_completed(zero)
                read = h.pread(512, 0)
                if read[:10] != bytes(10) or read[110:] != bytes(402):
                    lost += 1
            report("rounds where the aligned zeroing was undone", "%d of %d" % (lost, rounds))
            """,
            server.uri("race-zero"));

    assertThat(results)
        .containsExactly(entry("rounds where the aligned zeroing was undone", "0 of 100"));
  }

  @Test
  void unalignedRequestsUpToTheMaximumPayloadSucceed() {
    // "Size constraints": without agreed constraints a server SHOULD accept payloads of at least
    // 2^25 bytes, and this server advertises 33554432 as its maximum; aligned requests of that
    // size succeed, so unaligned ones should too.
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect_without_block_size(sys.argv[1])
            data = pattern(8, 1 << 25)
            report("aligned pwrite 32 MiB", outcome(lambda: h.pwrite(data, 0)))
            report("pwrite 32 MiB at 1", outcome(lambda: h.pwrite(data, 1)))
            report("pread 32 MiB at 1", outcome(lambda: h.pread(1 << 25, 1)))
            report("zero 32 MiB at 1", outcome(lambda: h.zero(1 << 25, 1)))
            """,
            server.uri("large"));

    assertThat(results)
        .containsExactly(
            entry("aligned pwrite 32 MiB", "ok"),
            entry("pwrite 32 MiB at 1", "ok"),
            entry("pread 32 MiB at 1", "ok"),
            entry("zero 32 MiB at 1", "ok"));
  }

  @Test
  void anUnalignedFastZeroFailsFastWithEnotsup() {
    // "NBD_CMD_WRITE_ZEROES": with NBD_CMD_FLAG_FAST_ZERO the server "MUST fail quickly with
    // NBD_ENOTSUP unless the request can be serviced in less time than a corresponding
    // NBD_CMD_WRITE", and SHOULD NOT alter the export then. Zeroing part of a sector needs a read,
    // a patch and a write, which is slower than the write alone.
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = connect_without_block_size(sys.argv[1])
            before = pattern(9, 4096)
            h.pwrite(before, 0)
            report("fast zero 1000 at 1", outcome(
                lambda: h.zero(1000, 1, nbd.CMD_FLAG_FAST_ZERO)))
            report("data unchanged", h.pread(4096, 0) == before)
            report("aligned fast zero", outcome(lambda: h.zero(4096, 0, nbd.CMD_FLAG_FAST_ZERO)))
            """,
            server.uri("fast"));

    assertThat(results)
        .containsExactly(
            entry("fast zero 1000 at 1", "ENOTSUP"),
            entry("data unchanged", "True"),
            entry("aligned fast zero", "ok"));
  }
}
