package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

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
 * A clone starts as its snapshot and is then a volume of its own: qemu-io writes the clone and its
 * origin volume at the same time, at overlapping offsets, and each reads back its own data, the
 * rest still the snapshot's; the snapshot itself never changes. A clone of a clone works alike, and
 * a deleted volume is restored under its own name from the snapshot it left.
 */
class ClonesAndTheirOriginSeeTheirOwnWritesTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir static Path dataDirectory;
  private static ServerProcess server;
  private static UnblendCli cli;

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.in(dataDirectory).volume("origin", "16M").start();
    cli = new UnblendCli(dataDirectory);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void theCloneAndItsOriginEachReadTheirOwnWrites() {
    qemuIo("origin", "write -P 0x11 0 8M");
    cli.runSuccessfully("snapshot", "create", "origin", "base");
    cli.runSuccessfully("clone", "create", "origin", "base", "copy");

    CompletableFuture<String> cloneWrites =
        CompletableFuture.supplyAsync(() -> qemuIo("copy", "write -P 0x22 0 1M", "flush"));
    CompletableFuture<String> originWrites =
        CompletableFuture.supplyAsync(
            () -> qemuIo("origin", "write -P 0x33 0 1M", "write -P 0x33 2M 1M", "flush"));
    cloneWrites.join();
    originWrites.join();

    String clone = qemuIo("copy", "read -P 0x22 0 1M", "read -P 0x11 1M 7M", "read -P 0 8M 8M");
    String origin =
        qemuIo(
            "origin",
            "read -P 0x33 0 1M",
            "read -P 0x11 1M 1M",
            "read -P 0x33 2M 1M",
            "read -P 0x11 3M 5M");
    String snapshot = qemuIo("origin@base", "read -P 0x11 0 8M", "read -P 0 8M 8M");

    assertThat(clone).doesNotContain("Pattern verification failed");
    assertThat(origin).doesNotContain("Pattern verification failed");
    assertThat(snapshot).doesNotContain("Pattern verification failed");
  }

  @Test
  void aCloneOfACloneKeepsItsOwnData() {
    qemuIo("origin", "write -P 0x44 12M 1M");
    cli.runSuccessfully("snapshot", "create", "origin", "level1");
    cli.runSuccessfully("clone", "create", "origin", "level1", "first");
    qemuIo("first", "write -P 0x55 12M 512K");
    cli.runSuccessfully("snapshot", "create", "first", "level2");
    cli.runSuccessfully("clone", "create", "first", "level2", "second");
    qemuIo("second", "write -P 0x66 12M 4K");
    qemuIo("first", "write -P 0x77 12M 4K");

    String second =
        qemuIo(
            "second",
            "read -P 0x66 12M 4K",
            "read -P 0x55 12292K 508K",
            "read -P 0x44 12800K 512K");
    String first = qemuIo("first", "read -P 0x77 12M 4K", "read -P 0x55 12292K 508K");

    assertThat(second).doesNotContain("Pattern verification failed");
    assertThat(first).doesNotContain("Pattern verification failed");
  }

  @Test
  void aDeletedVolumeIsRestoredUnderItsNameFromItsSnapshot() {
    // docs/changed-blocks.md: a deleted volume's snapshots stay, and a volume created later under
    // its name has them as its own; restoring one is "clone create vm daily vm".
    cli.runSuccessfully("volume", "create", "vm", "4M");
    qemuIo("vm", "write -P 0x88 0 4M");
    cli.runSuccessfully("snapshot", "create", "vm", "daily");
    qemuIo("vm", "write -P 0x99 0 1M");
    cli.runSuccessfully("volume", "delete", "vm");

    cli.runSuccessfully("clone", "create", "vm", "daily", "vm");
    String restored = qemuIo("vm", "read -P 0x88 0 4M");
    qemuIo("vm", "write -P 0xaa 1M 4K");
    String changed =
        ExternalTool.NBDINFO
            .runSuccessfully(TIMEOUT, "--map=unblend:changed:daily", server.uri("vm"))
            .stdout();

    assertThat(restored).doesNotContain("Pattern verification failed");
    assertThat(
            cli.runSuccessfully("snapshot", "list", "vm", "--json").json().findValuesAsText("name"))
        .containsExactly("vm@daily");
    assertThat(changed.strip().lines().map(line -> line.strip().split("\\s+")[2]))
        .as("changed since vm@daily: only the 4 KiB written after the restore\n%s", changed)
        .containsExactly("0", "1", "0");
  }

  private static String qemuIo(String export, String... commands) {
    List<String> arguments = new ArrayList<>(List.of("-f", "raw"));
    if (export.contains("@")) {
      arguments.add("-r");
    }
    arguments.add(server.uri(export));
    for (String command : commands) {
      arguments.add("-c");
      arguments.add(command);
    }
    ExternalTool.Result result =
        ExternalTool.QEMU_IO.runSuccessfully(TIMEOUT, arguments.toArray(String[]::new));
    return result.stdout() + result.stderr();
  }
}
