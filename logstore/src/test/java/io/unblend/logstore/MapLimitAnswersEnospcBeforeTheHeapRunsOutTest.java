package io.unblend.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store in a JVM with a small heap: writes that would add extents beyond the default map limit
 * fail with ENOSPC, naming the limit and how to raise it, before the maps exhaust the heap; what
 * was written stays readable. The default limit follows the JVM's maximum heap ({@link
 * StoreConfiguration#defaultMapExtentsMax}).
 */
class MapLimitAnswersEnospcBeforeTheHeapRunsOutTest {
  private static final String HEAP = "24m";

  @TempDir Path folder;

  @Test
  void scatteredWritesInA24MiBHeapGetEnospcAtTheLimit() throws Exception {
    Path stderr = folder.resolve("child.stderr");
    List<String> command =
        ChildJvm.command(HEAP, ScatteredSectorWriter.class, folder.resolve("store").toString());
    Process child = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean exited = child.waitFor(120, TimeUnit.SECONDS);
    if (!exited) {
      child.destroyForcibly();
    }
    String context =
        "child output:\n" + output + "\nchild stderr (tail):\n" + tail(Files.readString(stderr));
    assertThat(exited).as("child finished within 120 s; " + context).isTrue();
    assertThat(child.exitValue()).as("child exit status; " + context).isZero();

    List<String> lines = output.lines().toList();
    assertThat(lines).as(context).hasSize(3);
    long limit = Long.parseLong(lines.get(0).substring("limit ".length()));
    // Half of a 24 MiB heap at 48 bytes per extent, not the 20 million of a large heap; the log
    // (256 MiB) holds more extents than the heap.
    assertThat(limit).as(context).isBetween(150_000L, 24L * 1024 * 1024 / 2 / 48);
    String[] failed = lines.get(1).split(" ", 4);
    assertThat(failed[0]).as(context).isEqualTo("failed");
    assertThat(failed[2]).as(context).isEqualTo("ENOSPC");
    assertThat(failed[3]).as(context).contains("mapExtentsMax=" + limit).contains("-Xmx");
    // Each write before the failure added one extent; writes already queued when the limit was
    // reached may add a few more.
    assertThat(Long.parseLong(failed[1])).as(context).isBetween(limit, limit + 4096);
    assertThat(lines.get(2)).as(context).isEqualTo("reread ok");
  }

  private static String tail(String text) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }
}
