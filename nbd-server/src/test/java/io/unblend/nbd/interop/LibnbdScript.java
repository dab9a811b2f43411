package io.unblend.nbd.interop;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a piece of Python against the server through libnbd's Python bindings, after the helpers of
 * {@code libnbd_prelude.py}, and returns the "name=value" lines it printed.
 */
final class LibnbdScript {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private LibnbdScript() {}

  static Map<String, String> run(String code, String... uris) {
    List<String> arguments = new ArrayList<>();
    arguments.add("-c");
    arguments.add(prelude() + "\n" + code);
    arguments.addAll(List.of(uris));
    ExternalTool.Result result =
        ExternalTool.PYTHON_LIBNBD.run(TIMEOUT, arguments.toArray(String[]::new));
    if (result.exitCode() != 0) {
      fail("the libnbd script failed:\n" + code + "\n" + result.describe());
    }
    Map<String, String> reported = new LinkedHashMap<>();
    for (String line : result.stdout().split("\n")) {
      int equals = line.indexOf('=');
      if (equals > 0) {
        reported.put(line.substring(0, equals), line.substring(equals + 1));
      }
    }
    return reported;
  }

  private static String prelude() {
    try (InputStream in = LibnbdScript.class.getResourceAsStream("libnbd_prelude.py")) {
      if (in == null) {
        throw new AssertionError("libnbd_prelude.py is missing from the test resources");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError("cannot read libnbd_prelude.py", e);
    }
  }
}
