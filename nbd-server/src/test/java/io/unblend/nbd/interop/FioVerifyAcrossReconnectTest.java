package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fio's nbd ioengine (libnbd) writes 64 MiB of 4 KiB random writes, each block carrying a CRC32C
 * header, with 64 in flight; then a new fio process, on a new connection, reads and verifies every
 * block. (WritesSurviveServerStopsTest covers what survives the server's death.)
 */
class FioVerifyAcrossReconnectTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path dataDirectory;
  private ServerProcess server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void blocksWrittenByOneConnectionVerifyOnTheNext() throws Exception {
    server = ServerProcess.in(dataDirectory).volume("fio", "64M").start();

    ExternalTool.Result write = fio("--do_verify=0");
    ExternalTool.Result verify = fio("--verify_only=1");

    assertThat(write.stdout()).contains("WRITE: bw=");
    assertThat(verify.stdout()).contains("READ: bw=").doesNotContain("verify: bad");
  }

  /** One fio run of the same job (same seed, so the same blocks), with {@code extra} options. */
  private ExternalTool.Result fio(String... extra) {
    List<String> arguments =
        new ArrayList<>(
            List.of(
                "--name=unblend",
                "--ioengine=nbd",
                "--uri=" + server.uri("fio"),
                "--rw=randwrite",
                "--bs=4k",
                "--size=64m",
                "--iodepth=64",
                "--verify=crc32c",
                "--verify_fatal=1",
                "--randrepeat=1",
                // No *-verify.state file in the working directory: the verify run needs none.
                "--verify_state_save=0"));
    arguments.addAll(List.of(extra));
    return ExternalTool.FIO.runSuccessfully(TIMEOUT, arguments.toArray(String[]::new));
  }
}
