package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fio's nbd ioengine overwrites a volume that fills half the log with uniformly random 4 KiB writes
 * worth several times the log's capacity, so the log only keeps serving if the cleaner wins back
 * the space that overwrites leave dead (doc/proto.md "Error values": NBD_ENOSPC is for a device
 * without space, and live data never exceeds half of this one). The log has 32 segments of 2 MiB,
 * so the cleaner has many victims to choose from.
 *
 * <p>At the end fio reads back, on the same connection, every block it wrote: {@code verify=crc32c}
 * checks each block's checksum, its offset and its write number ("numberio", which fio checks when
 * one job writes and verifies), so a block the cleaner lost, tore, moved to the wrong place or
 * brought back from an older write fails the run. With {@code norandommap} fio keeps only the last
 * write of each block for the verify pass; {@code serialize_overlap} holds a write back while an
 * earlier one to the same block is in flight, because NBD lets a server complete overlapping
 * requests in any order and fio's expectation would then be a guess. Afterwards the store's status
 * must show the cleaner's work, and a restarted server must serve the same bytes, which proves that
 * the relocations reached the checkpoint and the log.
 *
 * <p>The default suite overwrites 8 logs' worth (512 MiB, about 20 s on two cores). The long
 * version sets the multiple with a system property, e.g. 100 logs (6.4 GiB of writes, some 5 to 10
 * minutes):
 *
 * <pre>
 * ./mvnw -B -o -pl nbd-server verify -Dtest=RandomOverwritesOfSeveralLogsVerifyTest \
 *     -Dunblend.test.overwrite-logs=100
 * </pre>
 *
 * The write amplification of the run is printed to the test's output.
 */
class RandomOverwritesOfSeveralLogsVerifyTest {
  /** Log capacities' worth of client writes; the long version raises it. */
  private static final String LOGS_PROPERTY = "unblend.test.overwrite-logs";

  private static final int LOGS_DEFAULT = 8;
  private static final long LOG_BYTES = 64L << 20;
  private static final long SEGMENT_BYTES = 2L << 20;
  private static final long VOLUME_BYTES = LOG_BYTES / 2;
  private static final int BLOCK_BYTES = 4096;

  /** fio's limit: one minute, plus 20 s per log's worth of writes (and their reads). */
  private static final Duration FIO_TIMEOUT_BASE = Duration.ofSeconds(60);

  private static final Duration FIO_TIMEOUT_PER_LOG = Duration.ofSeconds(20);

  /** A write that waits longer than this for space means the cleaner did not keep up. */
  private static final long WRITE_LATENCY_NANOS_MAX = Duration.ofSeconds(20).toNanos();

  private static final Duration COPY_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dataDirectory;
  @TempDir Path images;
  private ServerProcess server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void everyBlockReadsItsLastWriteAndTheCleanerKeepsTheLogServing() throws Exception {
    int logs = Integer.getInteger(LOGS_PROPERTY, LOGS_DEFAULT);
    assertThat(logs).as("-D%s", LOGS_PROPERTY).isGreaterThanOrEqualTo(2);
    long writes = logs * LOG_BYTES / BLOCK_BYTES;
    long volumeBlocks = VOLUME_BYTES / BLOCK_BYTES;
    // Uniform random writes miss a block with probability exp(-writes / blocks): 0.03 % at 4 logs,
    // 3e-7 at 8.
    long blocksWrittenExpected =
        Math.round(volumeBlocks * (1 - Math.exp(-(double) writes / volumeBlocks)));
    server = start();

    JsonNode fio = overwriteAndVerify(logs);
    JsonNode status = new UnblendCli(dataDirectory).runSuccessfully("status", "--json").json();

    long blocksVerified = fio.path("read").path("total_ios").asLong();
    assertThat(fio.path("error").asInt()).as("fio's error").isZero();
    assertThat(fio.path("write").path("total_ios").asLong()).isEqualTo(writes);
    assertThat(blocksVerified)
        .as("blocks read back and verified (each block written at least once)")
        .isBetween(blocksWrittenExpected - volumeBlocks / 100, volumeBlocks);
    assertThat(fio.path("write").path("lat_ns").path("max").asLong())
        .as("the longest write, in ns")
        .isLessThan(WRITE_LATENCY_NANOS_MAX);
    assertThat(status.get("clientBytesWritten").asLong()).isEqualTo(writes * BLOCK_BYTES);
    assertThat(status.get("cleanerBytesWritten").asLong()).isPositive();
    assertThat(status.get("logBytesWritten").asLong()).isGreaterThan(logs * LOG_BYTES);
    assertThat(status.get("liveBytes").asLong())
        .as("live bytes: the blocks written")
        .isEqualTo(blocksVerified * BLOCK_BYTES);
    System.out.printf(
        Locale.ROOT,
        "%d logs' worth of random 4 KiB overwrites at %d %% utilisation: write amplification"
            + " %.2f (%d log bytes, %d of them by the cleaner, for %d client bytes); fio: %.0f"
            + " IOPS, longest write %d ms%n",
        logs,
        100 * VOLUME_BYTES / LOG_BYTES,
        status.get("writeAmplification").asDouble(),
        status.get("logBytesWritten").asLong(),
        status.get("cleanerBytesWritten").asLong(),
        status.get("clientBytesWritten").asLong(),
        fio.path("write").path("iops").asDouble(),
        fio.path("write").path("lat_ns").path("max").asLong() / 1_000_000);

    Path before = copyOut("before.img");
    server.stop();
    server = start();
    Path after = copyOut("after.img");

    assertThat(TestImages.same(before, after))
        .as("the volume reads the same after a restart")
        .isTrue();
  }

  private ServerProcess start() throws IOException, InterruptedException {
    return ServerProcess.in(dataDirectory)
        .logSize(Long.toString(LOG_BYTES >> 20) + "M")
        .segmentSize(Long.toString(SEGMENT_BYTES >> 20) + "M")
        .volume("vol", Long.toString(VOLUME_BYTES >> 20) + "M")
        .start();
  }

  /** One fio run: {@code logs} logs' worth of random writes, then a verify pass; its JSON job. */
  private JsonNode overwriteAndVerify(int logs) throws IOException {
    ExternalTool.Result result =
        ExternalTool.FIO.runSuccessfully(
            FIO_TIMEOUT_BASE.plus(FIO_TIMEOUT_PER_LOG.multipliedBy(logs)),
            "--name=overwrites",
            "--ioengine=nbd",
            "--uri=" + server.uri("vol"),
            "--rw=randwrite",
            "--bs=" + BLOCK_BYTES,
            "--iodepth=32",
            "--size=" + VOLUME_BYTES,
            "--io_size=" + logs * LOG_BYTES,
            "--norandommap",
            "--serialize_overlap=1",
            "--verify=crc32c",
            "--verify_fatal=1",
            // No *-verify.state file in the working directory: nothing reads it.
            "--verify_state_save=0",
            "--output-format=json");
    // fio prints "fio: connected to NBD server" lines before its JSON.
    String stdout = result.stdout();
    return JSON.readTree(stdout.substring(stdout.indexOf('{'))).path("jobs").path(0);
  }

  private Path copyOut(String name) {
    Path image = images.resolve(name);
    ExternalTool.NBDCOPY.runSuccessfully(COPY_TIMEOUT, server.uri("vol"), image.toString());
    return image;
  }
}
