package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nbdcopy (libnbd) copies into a volume and out again: a random image, a sparse image (nbdcopy
 * sends its holes as NBD_CMD_WRITE_ZEROES, possibly fast zero, and reads the volume's holes back
 * through base:allocation), and from one volume to another across TCP and the unix socket.
 */
class NbdcopyBothWaysTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir static Path dataDirectory;
  @TempDir static Path images;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server =
        ServerProcess.in(dataDirectory)
            .volume("random", "64M")
            .volume("sparse", "64M")
            .volume("copy", "64M")
            .volume("target", "64M")
            .start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void aRandomImageCopiesInAndOutUnchanged() throws Exception {
    Path source = TestImages.random(images.resolve("random.img"), 64 << 20, 7);
    Path back = images.resolve("random-back.img");

    ExternalTool.NBDCOPY.runSuccessfully(
        TIMEOUT, "--flush", source.toString(), server.uri("random"));
    ExternalTool.NBDCOPY.runSuccessfully(TIMEOUT, server.uri("random"), back.toString());

    assertThat(TestImages.same(source, back)).isTrue();
  }

  @Test
  void aSparseImageKeepsItsHolesAsHolesAndItsDataAsData() throws Exception {
    Path source = TestImages.sparse(images.resolve("sparse.img"), 64 << 20, 8);
    Path back = images.resolve("sparse-back.img");

    ExternalTool.NBDCOPY.runSuccessfully(
        TIMEOUT, "--flush", source.toString(), server.uri("sparse"));
    ExternalTool.NBDCOPY.runSuccessfully(TIMEOUT, server.unixUri("sparse"), back.toString());
    String map =
        ExternalTool.NBDINFO.runSuccessfully(TIMEOUT, "--map", server.uri("sparse")).stdout();

    assertThat(TestImages.same(source, back)).isTrue();
    // nbdinfo --map: offset, length, base:allocation flags, description. Data in every fourth
    // mebibyte, the rest zero (a hole or allocated zeros, whichever nbdcopy asked for).
    assertThat(map.lines().map(String::strip))
        .startsWith("0     1048576    0  data")
        .anyMatch(line -> line.matches("1048576 +3145728 +[23] +.*zero.*"));
  }

  @Test
  void oneVolumeCopiesToAnotherAcrossTcpAndTheUnixSocket() throws Exception {
    Path source = TestImages.random(images.resolve("volume.img"), 64 << 20, 9);
    ExternalTool.NBDCOPY.runSuccessfully(TIMEOUT, source.toString(), server.uri("copy"));

    ExternalTool.NBDCOPY.runSuccessfully(
        TIMEOUT, "--flush", server.uri("copy"), server.unixUri("target"));
    ExternalTool.Result compare =
        ExternalTool.QEMU_IMG.runSuccessfully(
            TIMEOUT, "compare", "-f", "raw", "-F", "raw", source.toString(), server.uri("target"));

    assertThat(compare.stdout()).contains("Images are identical.");
  }
}
