package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot is served as export VOLUME@SNAPSHOT holding exactly what the volume held when it was
 * taken, however the volume is written afterwards; it is flagged NBD_FLAG_READ_ONLY and refuses
 * writes with NBD_EPERM (doc/proto.md "Transmission flags": "If this flag is set, the server MUST
 * error subsequent write operations to the export"), and NBD_OPT_LIST describes it.
 */
class SnapshotExportsAreFrozenAndReadOnlyTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir static Path dataDirectory;
  @TempDir static Path images;
  private static ServerProcess server;
  private static UnblendCli cli;

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.in(dataDirectory).volume("vol", "64M").start();
    cli = new UnblendCli(dataDirectory);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void theSnapshotExportMatchesACopyTakenAtSnapshotTimeWhileTheVolumeIsWritten() throws Exception {
    Path original = TestImages.sparse(images.resolve("original.img"), 64 << 20, 7);
    ExternalTool.QEMU_IMG.runSuccessfully(
        TIMEOUT, "convert", "-n", "-f", "raw", "-O", "raw", original.toString(), server.uri("vol"));
    cli.runSuccessfully("snapshot", "create", "vol", "before");
    // Nothing writes between the snapshot and this copy, so the copy is the volume at that time.
    Path copy = images.resolve("copy.img");
    ExternalTool.QEMU_IMG.runSuccessfully(
        TIMEOUT, "convert", "-f", "raw", "-O", "raw", server.uri("vol"), copy.toString());

    CompletableFuture<ExternalTool.Result> writes =
        CompletableFuture.supplyAsync(() -> qemuIoWrites("vol", 0x5a, 48));
    ExternalTool.Result compareDuringWrites =
        ExternalTool.QEMU_IMG.run(
            TIMEOUT,
            "compare",
            "-f",
            "raw",
            "-F",
            "raw",
            server.uri("vol@before"),
            copy.toString());
    ExternalTool.Result written = writes.join();
    ExternalTool.Result compareAfterWrites =
        ExternalTool.QEMU_IMG.run(
            TIMEOUT,
            "compare",
            "-f",
            "raw",
            "-F",
            "raw",
            server.uri("vol@before"),
            copy.toString());
    ExternalTool.Result volumeAfterWrites =
        ExternalTool.QEMU_IMG.run(
            TIMEOUT, "compare", "-f", "raw", "-F", "raw", server.uri("vol"), copy.toString());

    assertThat(written.exitCode()).as(written.describe()).isZero();
    assertThat(compareDuringWrites.exitCode()).as(compareDuringWrites.describe()).isZero();
    assertThat(compareAfterWrites.exitCode()).as(compareAfterWrites.describe()).isZero();
    // qemu-img compare exits 1 when the images differ: the volume did change.
    assertThat(volumeAfterWrites.exitCode()).as(volumeAfterWrites.describe()).isEqualTo(1);
  }

  @Test
  void theSnapshotIsFlaggedReadOnlyAndListedAsASnapshot() {
    cli.runSuccessfully("snapshot", "create", "vol", "flags");

    String info =
        ExternalTool.NBDINFO
            .runSuccessfully(TIMEOUT, "--no-content", server.uri("vol@flags"))
            .stdout();
    String list =
        ExternalTool.NBDINFO
            .runSuccessfully(TIMEOUT, "--list", "--no-content", server.uri(""))
            .stdout();

    assertThat(info).contains("\tis_read_only: true");
    assertThat(list)
        .contains("export=\"vol@flags\":")
        .contains("description: unblend snapshot flags of volume vol, 67108864 bytes, read-only");
  }

  @Test
  void writesTrimsAndZeroesToASnapshotFailWithEperm() {
    cli.runSuccessfully("snapshot", "create", "vol", "refuses");

    // libnbd refuses writes to a read-only export itself; the relaxed handle lets them reach the
    // server, whose answer is what this test is about.
    var results =
        LibnbdScript.run(
            """
            h = connect(sys.argv[1], strict=False)
            report("read_only", h.is_read_only())
            before = h.pread(65536, 0)
            report("pwrite", outcome(lambda: h.pwrite(b"x" * 4096, 0)))
            report("trim", outcome(lambda: h.trim(4096, 0)))
            report("zero", outcome(lambda: h.zero(4096, 0)))
            report("unchanged", h.pread(65536, 0) == before)
            """,
            server.uri("vol@refuses"));
    ExternalTool.Result qemuIo =
        ExternalTool.QEMU_IO.run(
            TIMEOUT, "-f", "raw", server.uri("vol@refuses"), "-c", "write 0 4096");

    assertThat(results)
        .containsExactly(
            entry("read_only", "True"),
            entry("pwrite", "EPERM"),
            entry("trim", "EPERM"),
            entry("zero", "EPERM"),
            entry("unchanged", "True"));
    // QEMU sees NBD_FLAG_READ_ONLY and will not open the export for writing at all.
    assertThat(qemuIo.exitCode()).as(qemuIo.describe()).isNotZero();
    assertThat(qemuIo.stderr()).contains("Permission denied");
  }

  /** {@code count} 64 KiB writes of {@code pattern} spread over the volume, then a flush. */
  private static ExternalTool.Result qemuIoWrites(String volume, int pattern, int count) {
    List<String> arguments = new ArrayList<>(List.of("-f", "raw", server.uri(volume)));
    for (int i = 0; i < count; i++) {
      arguments.add("-c");
      arguments.add(String.format("write -P 0x%02x %d 65536", pattern, i * (1L << 20) + 4096));
    }
    arguments.add("-c");
    arguments.add("flush");
    return ExternalTool.QEMU_IO.run(TIMEOUT, arguments.toArray(String[]::new));
  }
}
