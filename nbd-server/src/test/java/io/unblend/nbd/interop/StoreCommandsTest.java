package io.unblend.nbd.interop;

import static io.unblend.nbd.protocol.NbdConstants.NBD_OPT_GO;
import static io.unblend.nbd.protocol.NbdConstants.NBD_REP_ACK;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store commands of the command line (snapshot, clone, volume, status): against a running
 * server they go through its admin socket (the server holds the store's lock, so nothing else could
 * reach it) and what they create is served at once; without a server they open the store
 * themselves. {@code --json} output parses; errors say what to fix and exit non-zero.
 */
class StoreCommandsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir static Path dataDirectory;
  private static ServerProcess server;
  private static UnblendCli cli;

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.in(dataDirectory).volume("vol", "16M").start();
    cli = new UnblendCli(dataDirectory);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void everyCommandWorksThroughTheServerAndWhatItCreatesIsServedAtOnce() {
    JsonNode created = cli.runSuccessfully("volume", "create", "fresh", "8M", "--json").json();
    String freshSize =
        ExternalTool.NBDINFO.runSuccessfully(TIMEOUT, "--size", server.uri("fresh")).stdout();
    JsonNode snapshot =
        cli.runSuccessfully("snapshot", "create", "fresh", "monday", "--json").json();
    String snapshotInfo =
        ExternalTool.NBDINFO
            .runSuccessfully(TIMEOUT, "--no-content", server.uri("fresh@monday"))
            .stdout();
    JsonNode group =
        cli.runSuccessfully("snapshot", "create", "--group", "nightly", "vol", "fresh", "--json")
            .json();
    JsonNode clone =
        cli.runSuccessfully("clone", "create", "fresh", "monday", "copy", "--json").json();
    String cloneSize =
        ExternalTool.NBDINFO.runSuccessfully(TIMEOUT, "--size", server.uri("copy")).stdout();
    JsonNode freshSnapshots = cli.runSuccessfully("snapshot", "list", "fresh", "--json").json();
    JsonNode volumes = cli.runSuccessfully("volume", "list", "--json").json();
    JsonNode status = cli.runSuccessfully("status", "--json").json();
    JsonNode deletedSnapshot =
        cli.runSuccessfully("snapshot", "delete", "fresh", "nightly", "--json").json();
    JsonNode deletedVolume = cli.runSuccessfully("volume", "delete", "copy", "--json").json();
    ExternalTool.Result goneVolume =
        ExternalTool.NBDINFO.run(TIMEOUT, "--size", server.uri("copy"));
    List<String> remaining = names(cli.runSuccessfully("snapshot", "list", "--json").json());

    assertThat(created.get("name").asText()).isEqualTo("fresh");
    assertThat(created.get("sizeBytes").asLong()).isEqualTo(8 << 20);
    assertThat(freshSize.strip()).isEqualTo(Long.toString(8 << 20));
    assertThat(snapshot.get("snapshots").get(0).get("name").asText()).isEqualTo("fresh@monday");
    assertThat(snapshotInfo).contains("\tis_read_only: true");
    assertThat(names(group.get("snapshots"))).containsExactly("vol@nightly", "fresh@nightly");
    assertThat(clone.get("cloneOf").asText()).isEqualTo("fresh@monday");
    assertThat(cloneSize.strip()).isEqualTo(Long.toString(8 << 20));
    assertThat(names(freshSnapshots)).containsExactly("fresh@monday", "fresh@nightly");
    assertThat(freshSnapshots.get(0).get("volume").asText()).isEqualTo("fresh");
    assertThat(freshSnapshots.get(0).get("snapshot").asText()).isEqualTo("monday");
    assertThat(names(volumes)).contains("vol", "fresh", "copy");
    assertThat(volumes.findValues("cloneOf").stream().map(JsonNode::asText))
        .contains("fresh@monday");
    assertThat(status.get("volumes").asInt()).isEqualTo(3);
    assertThat(status.get("snapshots").asInt()).isEqualTo(3);
    assertThat(status.get("logBytes").asLong()).isEqualTo(512L << 20);
    assertThat(status.has("fill")).isTrue();
    assertThat(status.has("liveBytes")).isTrue();
    assertThat(status.has("deadBytes")).isTrue();
    assertThat(status.has("writeAmplification")).isTrue();
    assertThat(status.get("checkpointsWritten").asLong()).isNotNegative();
    assertThat(status.has("checkpointBytesWritten")).isTrue();
    assertThat(deletedSnapshot.get("deleted").asText()).isEqualTo("fresh@nightly");
    assertThat(deletedVolume.get("deleted").asText()).isEqualTo("copy");
    assertThat(goneVolume.exitCode()).isNotZero();
    assertThat(remaining).contains("fresh@monday", "vol@nightly").doesNotContain("fresh@nightly");
  }

  @Test
  void deletingAnExportInUseIsRefusedUnlessForcedWhichClosesItsConnections() throws Exception {
    cli.runSuccessfully("volume", "create", "busy", "1M");
    cli.runSuccessfully("snapshot", "create", "busy", "then");
    try (RawNbdConnection onVolume = transmitting("busy");
        RawNbdConnection onSnapshot = transmitting("busy@then")) {
      ExternalTool.Result volumeInUse = cli.run("volume", "delete", "busy");
      ExternalTool.Result snapshotInUse = cli.run("snapshot", "delete", "busy", "then");
      List<String> stillThere =
          names(cli.runSuccessfully("snapshot", "list", "busy", "--json").json());
      JsonNode forcedSnapshot =
          cli.runSuccessfully("snapshot", "delete", "busy", "then", "--force", "--json").json();
      boolean snapshotClientCut = onSnapshot.closedByServer();
      JsonNode forcedVolume =
          cli.runSuccessfully("volume", "delete", "busy", "--force", "--json").json();
      boolean volumeClientCut = onVolume.closedByServer();

      assertThat(volumeInUse.exitCode()).as(volumeInUse.describe()).isEqualTo(1);
      assertThat(volumeInUse.stderr())
          .contains("volume 'busy' is in use by 1 NBD connection; disconnect its clients first,")
          .contains("give --force");
      assertThat(snapshotInUse.exitCode()).as(snapshotInUse.describe()).isEqualTo(1);
      assertThat(snapshotInUse.stderr()).contains("snapshot 'busy@then' is in use by 1 NBD");
      assertThat(stillThere).containsExactly("busy@then");
      assertThat(forcedSnapshot.get("connectionsClosed").asInt()).isEqualTo(1);
      assertThat(snapshotClientCut).isTrue();
      assertThat(forcedVolume.get("connectionsClosed").asInt()).isEqualTo(1);
      assertThat(volumeClientCut).isTrue();
      assertThat(names(cli.runSuccessfully("volume", "list", "--json").json()))
          .doesNotContain("busy");
    }
  }

  /** A connection that has chosen {@code export} and is in the transmission phase. */
  private static RawNbdConnection transmitting(String export) throws Exception {
    RawNbdConnection connection = RawNbdConnection.open(server).handshake();
    List<RawNbdConnection.OptionReply> go =
        connection.option(NBD_OPT_GO, RawNbdConnection.infoRequest(export));
    assertThat(go.getLast().type()).as("NBD_OPT_GO %s", export).isEqualTo(NBD_REP_ACK);
    return connection;
  }

  @Test
  void aVolumeGrowsAndNewConnectionsSeeItsNewSize() {
    cli.runSuccessfully("volume", "create", "growing", "4M");
    JsonNode grown = cli.runSuccessfully("volume", "resize", "growing", "12M", "--json").json();
    String size =
        ExternalTool.NBDINFO.runSuccessfully(TIMEOUT, "--size", server.uri("growing")).stdout();
    ExternalTool.Result written =
        ExternalTool.QEMU_IO.runSuccessfully(
            TIMEOUT,
            "-f",
            "raw",
            server.uri("growing"),
            "-c",
            "write -P 0x5a 8M 1M",
            "-c",
            "read -P 0x5a 8M 1M");
    ExternalTool.Result shrink = cli.run("volume", "resize", "growing", "4M");
    // The other tests count the server's volumes.
    cli.runSuccessfully("volume", "delete", "growing");

    assertThat(grown.get("sizeBytes").asLong()).isEqualTo(12 << 20);
    assertThat(grown.get("previousSizeBytes").asLong()).isEqualTo(4 << 20);
    assertThat(size.strip()).isEqualTo(Long.toString(12 << 20));
    assertThat(written.stdout()).doesNotContain("Pattern verification failed");
    assertThat(shrink.exitCode()).as(shrink.describe()).isEqualTo(1);
    assertThat(shrink.stderr()).contains("volumes only grow");
  }

  @Test
  void textOutputIsForPeople() {
    cli.runSuccessfully("volume", "create", "text", "1G");

    String volumes = cli.runSuccessfully("volume", "list").stdout();
    String status = cli.runSuccessfully("status").stdout();

    assertThat(volumes).startsWith("VOLUME").containsPattern("(?m)^text +1G +0 +-$");
    assertThat(status)
        .contains("log:                 512M in 32 segments of 16M")
        .contains("write amplification:")
        .contains("checkpoints:")
        .contains("snapshots:");
  }

  @Test
  void errorsSayWhatToFixAndExitNonZero() {
    ExternalTool.Result noVolume = cli.run("snapshot", "create", "nosuch", "s");
    ExternalTool.Result noSnapshot = cli.run("snapshot", "delete", "vol", "nosuch");
    ExternalTool.Result taken = cli.run("volume", "create", "vol", "1M");
    ExternalTool.Result snapshotAsVolume = cli.run("volume", "delete", "vol@whatever");
    ExternalTool.Result badSize = cli.run("volume", "create", "odd", "12X");
    // Not an option, though it starts with '-': a size, and a wrong one.
    ExternalTool.Result negativeSize = cli.run("volume", "create", "odd", "-1G");
    ExternalTool.Result unknownOption = cli.run("volume", "list", "--jsn");
    ExternalTool.Result missingArgument = cli.run("clone", "create", "vol", "s");
    ExternalTool.Result groupWithoutVolumes = cli.run("snapshot", "create", "--group", "g");
    // A line break in a name would break every listing that shows it.
    ExternalTool.Result controlCharacter = cli.run("volume", "create", "two\nlines", "1M");
    ExternalTool.Result noVolumeAsJson = cli.run("snapshot", "create", "nosuch", "s", "--json");

    assertThat(noVolume.exitCode()).as(noVolume.describe()).isEqualTo(1);
    assertThat(noVolume.stderr())
        .isEqualTo("unblend: no volume named 'nosuch' (see ./unblend volume list)\n");
    assertThat(noSnapshot.exitCode()).isEqualTo(1);
    assertThat(noSnapshot.stderr())
        .contains("volume 'vol' has no snapshot named 'nosuch' (see ./unblend snapshot list vol)");
    assertThat(taken.exitCode()).isEqualTo(1);
    assertThat(taken.stderr()).contains("a volume named 'vol' exists already");
    assertThat(snapshotAsVolume.exitCode()).isEqualTo(1);
    assertThat(snapshotAsVolume.stderr())
        .contains("delete it with ./unblend snapshot delete vol whatever");
    // Usage errors are picocli's: exit code 2, the message, then the usage.
    assertThat(badSize.exitCode()).isEqualTo(2);
    assertThat(badSize.stderr()).contains("'12X' is not a size");
    assertThat(negativeSize.exitCode()).isEqualTo(2);
    assertThat(negativeSize.stderr()).contains("'-1G' is not a size; use a positive number");
    assertThat(unknownOption.exitCode()).isEqualTo(2);
    assertThat(unknownOption.stderr()).contains("'--jsn'");
    assertThat(missingArgument.exitCode()).isEqualTo(2);
    assertThat(missingArgument.stderr()).contains("Missing required parameter: 'NEWVOLUME'");
    assertThat(groupWithoutVolumes.exitCode()).isEqualTo(1);
    assertThat(groupWithoutVolumes.stderr()).contains("name one or more volumes");
    // For scripts, the same message as an object on stdout.
    assertThat(noVolumeAsJson.exitCode()).isEqualTo(1);
    assertThat(noVolumeAsJson.json().get("error").asText())
        .isEqualTo("no volume named 'nosuch' (see ./unblend volume list)");
    assertThat(controlCharacter.exitCode()).isEqualTo(1);
    assertThat(controlCharacter.stderr())
        .contains("volume name 'two?lines' must be")
        .contains("without '@' (it separates volume and snapshot) or control characters");
  }

  @Test
  void theAdminSocketIsOnlyForTheServersUser() throws Exception {
    Path socket = dataDirectory.resolve("admin.sock");

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
        .isEqualTo("rw-------");
  }

  @Test
  void withoutAServerTheCommandsOpenTheStoreThemselves(@TempDir Path directory) throws Exception {
    UnblendCli offline = new UnblendCli(directory);
    ServerProcess.in(directory).volume("vol", "4M").start().close();
    assertThat(directory.resolve("admin.sock")).as("removed on a clean stop").doesNotExist();

    offline.runSuccessfully("volume", "create", "made-offline", "2M");
    offline.runSuccessfully("snapshot", "create", "made-offline", "first");
    JsonNode snapshots = offline.runSuccessfully("snapshot", "list", "--json").json();
    JsonNode status = offline.runSuccessfully("status", "--json").json();
    String served;
    try (ServerProcess restarted = ServerProcess.in(directory).start()) {
      served =
          ExternalTool.NBDINFO
              .runSuccessfully(TIMEOUT, "--size", restarted.uri("made-offline@first"))
              .stdout();
    }

    assertThat(names(snapshots)).containsExactly("made-offline@first");
    assertThat(status.get("volumes").asInt()).isEqualTo(2);
    assertThat(served.strip()).isEqualTo(Long.toString(2 << 20));
  }

  @Test
  void aSocketLeftByAKilledServerDoesNotStandInTheWay(@TempDir Path directory) throws Exception {
    UnblendCli offline = new UnblendCli(directory);
    ServerProcess killed = ServerProcess.in(directory).volume("vol", "4M").start();
    killed.kill();
    assertThat(directory.resolve("admin.sock")).exists();

    ExternalTool.Result listed = offline.run("volume", "list", "--json");
    try (ServerProcess restarted = ServerProcess.in(directory).start()) {
      offline.runSuccessfully("volume", "create", "after-restart", "1M");
      assertThat(
              ExternalTool.NBDINFO
                  .runSuccessfully(TIMEOUT, "--size", restarted.uri("after-restart"))
                  .stdout()
                  .strip())
          .isEqualTo(Long.toString(1 << 20));
    }

    assertThat(listed.exitCode()).as(listed.describe()).isZero();
    assertThat(names(listed.json())).containsExactly("vol");
  }

  @Test
  void aLockedStoreWithoutAnAdminSocketIsReportedWithItsHolder(@TempDir Path directory)
      throws Exception {
    try (ServerProcess running = ServerProcess.in(directory).volume("vol", "4M").start()) {
      Files.delete(directory.resolve("admin.sock"));

      ExternalTool.Result result = new UnblendCli(directory).run("volume", "list");

      assertThat(result.exitCode()).as(result.describe()).isEqualTo(1);
      assertThat(result.stderr())
          .startsWith("unblend: the store in " + directory)
          .contains("in use by process " + running.pid())
          .contains("no server answers on " + directory.resolve("admin.sock"));
    }
  }

  private static List<String> names(JsonNode array) {
    List<String> names = new ArrayList<>();
    array.forEach(element -> names.add(element.get("name").asText()));
    return names;
  }
}
