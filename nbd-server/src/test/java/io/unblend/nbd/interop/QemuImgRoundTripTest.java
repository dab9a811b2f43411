package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * qemu-img (QEMU's NBD client: structured replies, base:allocation, block size constraints) copies
 * a random 64 MiB image into a volume over TCP, compares it there, and copies it back out over the
 * unix socket, byte for byte.
 */
class QemuImgRoundTripTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir static Path dataDirectory;
  @TempDir static Path images;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.in(dataDirectory).volume("disk", "64M").volume("info", "3G").start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void infoShowsTheVolumeAsARawImageOfItsSize() {
    String info =
        ExternalTool.QEMU_IMG
            .runSuccessfully(TIMEOUT, "info", "--output=json", server.uri("info"))
            .stdout();

    assertThat(info).contains("\"virtual-size\": 3221225472").contains("\"format\": \"raw\"");
  }

  @Test
  void aRandomImageCopiedInComparesEqualAndCopiesBackOutUnchanged() throws Exception {
    Path source = TestImages.random(images.resolve("source.img"), 64 << 20, 42);
    Path copy = images.resolve("copy.img");

    ExternalTool.QEMU_IMG.runSuccessfully(
        TIMEOUT, "convert", "-n", "-f", "raw", "-O", "raw", source.toString(), server.uri("disk"));
    ExternalTool.Result compare =
        ExternalTool.QEMU_IMG.runSuccessfully(
            TIMEOUT, "compare", "-f", "raw", "-F", "raw", source.toString(), server.uri("disk"));
    ExternalTool.QEMU_IMG.runSuccessfully(
        TIMEOUT, "convert", "-f", "raw", "-O", "raw", server.unixUri("disk"), copy.toString());

    assertThat(compare.stdout()).contains("Images are identical.");
    assertThat(TestImages.same(source, copy)).as("copied back out unchanged").isTrue();
  }
}
