package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nbdinfo (libnbd) sees what the handshake advertises: every volume in NBD_OPT_LIST, the
 * transmission flags of NBD_INFO_EXPORT (doc/proto.md "Transmission flags"), the base:allocation
 * context ("Metadata querying") and NBD_INFO_BLOCK_SIZE ("Size constraints"), over TCP and over the
 * unix socket.
 */
class NbdinfoShowsExportFlagsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir static Path dataDirectory;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server =
        ServerProcess.in(dataDirectory)
            .volume("vol", "64M")
            .volume("other", "1M")
            .volume("default", "2M")
            .arguments("--read-only", "other")
            .start();
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @Test
  void listShowsEveryVolumeWithItsSizeAndDescription() {
    String list =
        ExternalTool.NBDINFO
            .runSuccessfully(TIMEOUT, "--list", "--no-content", server.uri(""))
            .stdout();

    assertThat(list)
        .contains("protocol: newstyle-fixed without TLS, using structured packets")
        .contains("export=\"vol\":", "export-size: 67108864 (64M)")
        .contains("export=\"other\":", "export-size: 1048576 (1M)")
        .contains("export=\"default\":", "export-size: 2097152 (2M)")
        .contains("description: unblend thin volume, 67108864 bytes");
  }

  @Test
  void showsEveryTransmissionFlagTheServerAdvertises() {
    String info =
        ExternalTool.NBDINFO.runSuccessfully(TIMEOUT, "--no-content", server.uri("vol")).stdout();

    assertThat(info)
        .contains("\tis_read_only: false")
        .contains("\tis_rotational: false")
        .contains("\tcan_flush: true")
        .contains("\tcan_fua: true")
        .contains("\tcan_trim: true")
        .contains("\tcan_zero: true")
        .contains("\tcan_fast_zero: true")
        .contains("\tcan_df: true")
        .contains("\tcan_multi_conn: true")
        .contains("\tcan_cache: true");
  }

  @Test
  void aReadOnlyExportOffersNoCommandThatWrites() {
    // "NBD_FLAG_READ_ONLY": the server MUST reply NBD_EPERM to writes, so trim and write zeroes
    // are not offered there (as qemu-nbd and nbdkit do), while reads, flush and cache are.
    String info =
        ExternalTool.NBDINFO.runSuccessfully(TIMEOUT, "--no-content", server.uri("other")).stdout();

    assertThat(info)
        .contains("\tis_read_only: true")
        .contains("\tcan_trim: false")
        .contains("\tcan_zero: false")
        .contains("\tcan_fast_zero: false")
        .contains("\tcan_flush: true")
        .contains("\tcan_cache: true")
        .contains("\tcan_multi_conn: true");
  }

  @Test
  void offersTheBaseAllocationContext() {
    String info =
        ExternalTool.NBDINFO.runSuccessfully(TIMEOUT, "--no-content", server.uri("vol")).stdout();

    assertThat(info).contains("contexts:\n\t\tbase:allocation\n");
  }

  @Test
  void advertisesMinimumPreferredAndMaximumBlockSizes() {
    String info =
        ExternalTool.NBDINFO.runSuccessfully(TIMEOUT, "--no-content", server.uri("vol")).stdout();

    assertThat(info)
        .contains("\tblock_size_minimum: 512")
        .contains("\tblock_size_preferred: 4096")
        .contains("\tblock_size_maximum: 33554432");
  }

  @Test
  void theEmptyExportNameIsTheDefaultVolume() {
    // doc/proto.md "NBD_OPT_INFO": a zero-length name selects the default export.
    String info =
        ExternalTool.NBDINFO.runSuccessfully(TIMEOUT, "--no-content", server.uri("")).stdout();

    assertThat(info).contains("export=\"default\":", "export-size: 2097152 (2M)");
  }

  @Test
  void theUnixSocketServesTheSameExport() {
    String size =
        ExternalTool.NBDINFO.runSuccessfully(TIMEOUT, "--size", server.unixUri("vol")).stdout();

    assertThat(size.strip()).isEqualTo("67108864");
  }

  @Test
  void anUnknownExportIsRefusedWithNbdRepErrUnknown() {
    // NBD_OPT_GO for a name the server does not have ends with NBD_REP_ERR_UNKNOWN, which libnbd
    // reports as ENOENT ("No such file or directory").
    ExternalTool.Result result = ExternalTool.NBDINFO.run(TIMEOUT, server.uri("no-such-volume"));

    assertThat(result.exitCode()).as(result.describe()).isNotZero();
    assertThat(result.stderr())
        .contains("server replied with error to opt_go request")
        .contains("No such file or directory");
  }
}
