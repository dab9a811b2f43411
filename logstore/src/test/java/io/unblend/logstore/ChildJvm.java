package io.unblend.logstore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of a test's child JVM, which runs a main class of the test classpath. */
public final class ChildJvm {
  private ChildJvm() {}

  /**
   * This JVM's java, native access, the given heap with the serial collector, this run's native-io
   * settings ({@code unblend.io.*}), this classpath, then {@code mainClass} and its arguments.
   */
  public static List<String> command(String maxHeap, Class<?> mainClass, String... arguments) {
    List<String> command = new ArrayList<>();
    command.add(
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-Xmx" + maxHeap);
    command.add("-XX:+UseSerialGC");
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("unblend.io.")) {
        command.add("-D" + name + "=" + System.getProperty(name));
      }
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(List.of(arguments));
    return command;
  }
}
