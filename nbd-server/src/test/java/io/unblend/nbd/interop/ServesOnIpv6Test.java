package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --listen [::1]:PORT} serves over IPv6 beside IPv4, and the URI printed for it is the one a
 * client takes as it is: the host as the user wrote it, in brackets ({@code nbd://[::1]:PORT/}),
 * not the JDK's long form of the bound address.
 */
class ServesOnIpv6Test {
  private static final Pattern IPV6_READY =
      Pattern.compile("(?m)^unblend: ready at (nbd://\\[::1\\]:[0-9]+/vol)$");

  @TempDir Path dataDirectory;

  @Test
  void nbdinfoReachesTheVolumeThroughThePrintedIpv6Uri() throws Exception {
    try (ServerProcess server =
        ServerProcess.in(dataDirectory)
            .volume("vol", "16M")
            .arguments("--listen", "[::1]:0")
            .start()) {
      Matcher ready = IPV6_READY.matcher(server.output());
      assertThat(ready.find()).as("an IPv6 'ready at' line in:\n%s", server.output()).isTrue();

      String size =
          ExternalTool.NBDINFO
              .runSuccessfully(Duration.ofSeconds(30), "--size", ready.group(1))
              .stdout();

      assertThat(size.strip()).isEqualTo(Long.toString(16 << 20));
    }
  }
}
