package io.unblend.nbd.interop;

import static io.unblend.nbd.interop.RawNbdConnection.infoRequest;
import static io.unblend.nbd.interop.RawNbdConnection.metaContextRequest;
import static io.unblend.nbd.protocol.NbdConstants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.unblend.nbd.interop.RawNbdConnection.ExtendedChunk;
import io.unblend.nbd.interop.RawNbdConnection.OptionReply;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code unblend:changed:SNAPSHOT} metadata context (docs/changed-blocks.md), read by real
 * clients and checked against what was written after the snapshot. doc/proto.md "Metadata
 * querying": one BLOCK_STATUS chunk per selected context, each with its own context id; REQ_ONE
 * gives each chunk exactly one extent; unknown contexts are not selected; an empty leaf-name lists
 * the namespace ("NBD_OPT_LIST_META_CONTEXT").
 *
 * <p>The volume "vol" (16 MiB) has 0x11 over its first 4 MiB when snapshot "s1" is taken; then 64
 * KiB at 1 MiB and 4 KiB at 10 MiB are written, 1 MiB at 4 MiB is zeroed (allocated zeros, which
 * differ from the snapshot's hole) and snapshot "s2" is taken; then 8 KiB at 12 MiB is written.
 */
class ChangedBlocksContextTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final long MIB = 1 << 20;

  @TempDir static Path dataDirectory;
  private static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.in(dataDirectory).volume("vol", "16M").start();
    UnblendCli cli = new UnblendCli(dataDirectory);
    qemuIo("write -P 0x11 0 4M");
    cli.runSuccessfully("snapshot", "create", "vol", "s1");
    qemuIo("write -P 0x22 1M 64K", "write -P 0x33 10M 4K", "write -z 4M 1M");
    cli.runSuccessfully("snapshot", "create", "vol", "s2");
    qemuIo("write -P 0x44 12M 8K");
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void nbdinfoMapsWhatChangedSinceTheSnapshot() {
    List<long[]> map = nbdinfoMap("unblend:changed:s1", "vol");

    assertThat(map)
        .containsExactly(
            new long[] {0, MIB, 0},
            new long[] {MIB, 65536, 1},
            new long[] {MIB + 65536, 3 * MIB - 65536, 0},
            new long[] {4 * MIB, MIB, 1},
            new long[] {5 * MIB, 5 * MIB, 0},
            new long[] {10 * MIB, 4096, 1},
            new long[] {10 * MIB + 4096, 2 * MIB - 4096, 0},
            new long[] {12 * MIB, 8192, 1},
            new long[] {12 * MIB + 8192, 4 * MIB - 8192, 0});
  }

  @Test
  void aLaterSnapshotShowsWhatChangedBetweenTheTwo() {
    // On export vol@s2 the context compares snapshot s2 with snapshot s1: the write at 12 MiB came
    // after s2 and is not there.
    List<long[]> map = nbdinfoMap("unblend:changed:s1", "vol@s2");
    List<long[]> none = nbdinfoMap("unblend:changed:s2", "vol@s2");

    assertThat(map)
        .containsExactly(
            new long[] {0, MIB, 0},
            new long[] {MIB, 65536, 1},
            new long[] {MIB + 65536, 3 * MIB - 65536, 0},
            new long[] {4 * MIB, MIB, 1},
            new long[] {5 * MIB, 5 * MIB, 0},
            new long[] {10 * MIB, 4096, 1},
            new long[] {10 * MIB + 4096, 6 * MIB - 4096, 0});
    assertThat(none).containsExactly(new long[] {0, 16 * MIB, 0});
  }

  @Test
  void qemuImgMapWithXDirtyBitmapShowsChangedRangesAsNotData() {
    // QEMU reads the context's bit 0 as if it were base:allocation's NBD_STATE_HOLE, so changed
    // ranges come out as "data": false; that is how its own qemu:dirty-bitmap: is read too.
    String map =
        ExternalTool.QEMU_IMG
            .runSuccessfully(
                TIMEOUT,
                "map",
                "--output=json",
                "--image-opts",
                "driver=nbd,server.type=inet,server.host="
                    + server.host()
                    + ",server.port="
                    + server.port()
                    + ",export=vol,x-dirty-bitmap=unblend:changed:s2")
            .stdout();

    assertThat(map)
        .contains("{ \"start\": 0, \"length\": 12582912, \"depth\": 0, \"present\": true,")
        .contains(
            "{ \"start\": 12582912, \"length\": 8192, \"depth\": 0, \"present\": false,"
                + " \"zero\": false, \"data\": false}")
        .contains("{ \"start\": 12591104, \"length\": 4186112, \"depth\": 0, \"present\": true,");
  }

  @Test
  void bothContextsAnswerOneBlockStatusEachWithOneExtentUnderReqOne() {
    Map<String, String> results =
        LibnbdScript.run(
            """
            h = nbd.NBD()
            h.add_meta_context(BASE_ALLOCATION)
            h.add_meta_context("unblend:changed:s1")
            h.add_meta_context("unblend:changed:nosuch")
            h.connect_uri(sys.argv[1])
            report("base", h.can_meta_context(BASE_ALLOCATION))
            report("changed", h.can_meta_context("unblend:changed:s1"))
            report("unknown", h.can_meta_context("unblend:changed:nosuch"))
            seen = {}
            def extent(context, start, entries, error):
                seen[context] = list(zip(entries[0::2], entries[1::2]))
                return 0
            h.block_status(8 * 1048576, 0, extent)
            report("all base", show(seen[BASE_ALLOCATION]))
            report("all changed", show(seen["unblend:changed:s1"]))
            seen.clear()
            h.block_status(65536, 1048576 + 4096, extent, nbd.CMD_FLAG_REQ_ONE)
            report("one base", show(seen[BASE_ALLOCATION]))
            report("one changed", show(seen["unblend:changed:s1"]))
            """,
            server.uri("vol"));

    assertThat(results)
        .containsExactly(
            entry("base", "True"),
            entry("changed", "True"),
            entry("unknown", "False"),
            entry("all base", "4194304:0,1048576:2,3145728:3"),
            entry("all changed", "1048576:0,65536:1,3080192:0,1048576:1,3145728:0"),
            // Each chunk has one extent, however far its run goes: data up to 4 MiB, clipped to
            // the length asked; the changed run, which ends at 1 MiB + 64 KiB.
            entry("one base", "65536:0"),
            entry("one changed", "61440:1"));
  }

  @Test
  void listingWithAnEmptyLeafNameNamesEverySnapshotOfTheVolume() throws IOException {
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      connection.option(NBD_OPT_STRUCTURED_REPLY, new byte[0]);

      List<String> namespace =
          contextNames(
              connection.option(
                  NBD_OPT_LIST_META_CONTEXT, metaContextRequest("vol", "unblend:changed:")));
      List<String> everything =
          contextNames(connection.option(NBD_OPT_LIST_META_CONTEXT, metaContextRequest("vol@s2")));
      List<String> selected =
          contextNames(
              connection.option(
                  NBD_OPT_SET_META_CONTEXT,
                  metaContextRequest("vol", "unblend:changed:", "unblend:changed:s2", "x-y:z")));

      assertThat(namespace).containsExactly("unblend:changed:s1", "unblend:changed:s2");
      assertThat(everything)
          .containsExactly("base:allocation", "unblend:changed:s1", "unblend:changed:s2");
      // SET takes full names only: the wildcard and the unknown namespace select nothing.
      assertThat(selected).containsExactly("unblend:changed:s2");
    }
  }

  @Test
  void withExtendedHeadersEachContextGetsABlockStatusExtChunk() throws IOException {
    // "NBD_REPLY_TYPE_BLOCK_STATUS_EXT" (extension-ext-header): with extended headers every
    // context's descriptors come as 64-bit pairs; only the last chunk of the reply is DONE.
    try (RawNbdConnection connection = RawNbdConnection.open(server).handshake()) {
      connection.option(NBD_OPT_EXTENDED_HEADERS, new byte[0]);
      List<OptionReply> set =
          connection.option(
              NBD_OPT_SET_META_CONTEXT,
              metaContextRequest("vol", "unblend:changed:s2", BASE_ALLOCATION));
      List<OptionReply> go = connection.option(NBD_OPT_GO, infoRequest("vol"));
      assertThat(go.getLast().type()).isEqualTo(NBD_REP_ACK);
      int changedId = ByteBuffer.wrap(set.get(0).data()).getInt();
      int baseId = ByteBuffer.wrap(set.get(1).data()).getInt();

      connection.sendExtendedRequest(0, NBD_CMD_BLOCK_STATUS, 0x77, 12 * MIB, 4 * MIB, null);
      List<ExtendedChunk> chunks = connection.readExtendedReply();

      assertThat(changedId).isNotZero().isNotEqualTo(baseId);
      assertThat(chunks).hasSize(2);
      assertThat(chunks.get(0).done()).isFalse();
      assertThat(chunks.get(1).done()).isTrue();
      assertThat(chunks)
          .allSatisfy(chunk -> assertThat(chunk.type()).isEqualTo(NBD_REPLY_TYPE_BLOCK_STATUS_EXT));
      assertThat(descriptorsOf(chunks, changedId))
          .containsExactly(new long[] {8192, 1}, new long[] {4 * MIB - 8192, 0});
      assertThat(descriptorsOf(chunks, baseId))
          .containsExactly(new long[] {8192, 0}, new long[] {4 * MIB - 8192, 3});
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void qemuIo(String... commands) {
    List<String> arguments = new ArrayList<>(List.of("-f", "raw", server.uri("vol")));
    for (String command : commands) {
      arguments.add("-c");
      arguments.add(command);
    }
    ExternalTool.QEMU_IO.runSuccessfully(TIMEOUT, arguments.toArray(String[]::new));
  }

  /** {@code nbdinfo --map=CONTEXT} as (offset, length, flags) triples. */
  private static List<long[]> nbdinfoMap(String context, String export) {
    String output =
        ExternalTool.NBDINFO
            .runSuccessfully(TIMEOUT, "--map=" + context, server.uri(export))
            .stdout();
    List<long[]> map = new ArrayList<>();
    for (String line : output.strip().split("\n")) {
      String[] fields = line.strip().split("\\s+");
      map.add(
          new long[] {
            Long.parseLong(fields[0]), Long.parseLong(fields[1]), Long.parseLong(fields[2])
          });
    }
    return map;
  }

  private static List<String> contextNames(List<OptionReply> replies) {
    assertThat(replies.getLast().type()).isEqualTo(NBD_REP_ACK);
    List<String> names = new ArrayList<>();
    for (OptionReply reply : replies) {
      if (reply.type() == NBD_REP_META_CONTEXT) {
        names.add(new String(reply.data(), 4, reply.data().length - 4, StandardCharsets.UTF_8));
      }
    }
    return names;
  }

  private static List<long[]> descriptorsOf(List<ExtendedChunk> chunks, int contextId) {
    for (ExtendedChunk chunk : chunks) {
      ByteBuffer payload = ByteBuffer.wrap(chunk.payload());
      if (payload.getInt() != contextId) {
        continue;
      }
      int count = payload.getInt();
      List<long[]> descriptors = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        descriptors.add(new long[] {payload.getLong(), payload.getLong()});
      }
      return descriptors;
    }
    throw new AssertionError("no chunk for context id " + contextId);
  }
}
