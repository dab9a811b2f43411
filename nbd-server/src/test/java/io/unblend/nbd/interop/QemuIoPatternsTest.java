package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * qemu-io writes and reads patterns through QEMU's NBD client: 512-byte writes that are not aligned
 * to 4 KiB (the minimum block is 512, "Size constraints"), a write smaller than a sector (QEMU
 * reads, patches and writes the sector itself, since it agreed to 512), asynchronous writes,
 * discard (NBD_CMD_TRIM) and write zeroes with and without unmap (NBD_CMD_WRITE_ZEROES with and
 * without NBD_CMD_FLAG_NO_HOLE), which qemu-img map then sees through base:allocation.
 */
class QemuIoPatternsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir static Path dataDirectory;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server =
        ServerProcess.in(dataDirectory)
            .volume("sectors", "16M")
            .volume("async", "16M")
            .volume("zeroes", "16M")
            .start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void sectorWritesNotAlignedTo4KibReadBackWithTheirNeighboursUntouched() {
    String output =
        qemuIo(
            "sectors",
            "write -P 0xab 512 512",
            "write -P 0xcd 1536 512",
            "write -P 0xef 4608 512",
            "read -P 0xab 512 512",
            "read -P 0 1024 512",
            "read -P 0xcd 1536 512",
            "read -P 0 2048 2560",
            "read -P 0xef 4608 512",
            "write -P 0x11 100 300",
            "read -P 0x11 100 300",
            "read -P 0 0 100",
            "read -P 0xab 512 512");

    assertThat(output).doesNotContain("Pattern verification failed");
  }

  @Test
  void asynchronousWritesAllLandBeforeTheFlush() {
    List<String> commands = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      commands.add(String.format("aio_write -P 0x%02x %d 65536", i + 1, i * 65536));
    }
    commands.add("aio_flush");
    for (int i = 0; i < 32; i++) {
      commands.add(String.format("read -P 0x%02x %d 65536", i + 1, i * 65536));
    }

    String output = qemuIo("async", commands.toArray(String[]::new));

    assertThat(output).doesNotContain("Pattern verification failed");
    assertThat(output.lines().filter(line -> line.startsWith("wrote 65536/65536"))).hasSize(32);
  }

  @Test
  void discardAndWriteZeroesReadAsZerosAndShowInTheMap() {
    String output =
        qemuIo(
            "zeroes",
            "write -P 0x33 0 4M",
            "discard 1M 1M",
            "write -z 2M 1M",
            "write -z -u 3M 1M",
            "read -P 0x33 0 1M",
            "read -P 0 1M 3M");
    String map =
        ExternalTool.QEMU_IMG
            .runSuccessfully(TIMEOUT, "map", "--output=json", "-f", "raw", server.uri("zeroes"))
            .stdout();

    assertThat(output).doesNotContain("Pattern verification failed");
    // base:allocation: data; a hole (discard); allocated zeros (write -z: NO_HOLE); a hole
    // (write -z -u may unmap); then the untouched rest of the thin volume, a hole.
    assertThat(map)
        .contains(
            "{ \"start\": 0, \"length\": 1048576, \"depth\": 0, \"present\": true,"
                + " \"zero\": false, \"data\": true")
        .contains(
            "{ \"start\": 1048576, \"length\": 1048576, \"depth\": 0, \"present\": true,"
                + " \"zero\": true, \"data\": false")
        .contains(
            "{ \"start\": 2097152, \"length\": 1048576, \"depth\": 0, \"present\": true,"
                + " \"zero\": true, \"data\": true")
        .contains(
            "{ \"start\": 3145728, \"length\": 13631488, \"depth\": 0, \"present\": true,"
                + " \"zero\": true, \"data\": false");
  }

  private static String qemuIo(String volume, String... commands) {
    List<String> arguments = new ArrayList<>(List.of("-f", "raw", server.uri(volume)));
    for (String command : commands) {
      arguments.add("-c");
      arguments.add(command);
    }
    ExternalTool.Result result =
        ExternalTool.QEMU_IO.runSuccessfully(TIMEOUT, arguments.toArray(String[]::new));
    return result.stdout() + result.stderr();
  }
}
