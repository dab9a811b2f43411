package io.unblend.bench.store;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code --name value} options of a store benchmark. Sizes take a binary suffix ({@code 4K},
 * {@code 64M}, {@code 1G}); a bad or unknown option fails with a message that names it.
 */
final class BenchArguments {
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Set<String> read = new HashSet<>();

  private BenchArguments() {}

  static BenchArguments parse(String[] args, int from) {
    BenchArguments arguments = new BenchArguments();
    for (int i = from; i < args.length; i += 2) {
      String flag = args[i];
      if (!flag.startsWith("--") || flag.length() < 3) {
        throw new IllegalArgumentException("expected an option such as --store, found " + flag);
      }
      if (i + 1 == args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      arguments.values.put(flag.substring(2), args[i + 1]);
    }
    return arguments;
  }

  Path path(String name) {
    String value = values.get(name);
    read.add(name);
    if (value == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return Path.of(value);
  }

  String string(String name, String defaultValue) {
    read.add(name);
    return values.getOrDefault(name, defaultValue);
  }

  int integer(String name, int defaultValue, int min, int max) {
    long value = longValue(name, defaultValue);
    if (value < min || value > max) {
      throw invalid(name, values.get(name), "an integer from " + min + " to " + max);
    }
    return (int) value;
  }

  long bytes(String name, long defaultValue, long min, long max) {
    read.add(name);
    String text = values.get(name);
    long value = text == null ? defaultValue : parseBytes(name, text);
    if (value < min || value > max) {
      throw invalid(name, text, "a size from " + min + " to " + max + " bytes");
    }
    return value;
  }

  double seconds(String name, double defaultValue, double min, double max) {
    read.add(name);
    String text = values.get(name);
    double value;
    try {
      value = text == null ? defaultValue : Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw invalid(name, text, "a number of seconds");
    }
    if (!(value >= min && value <= max)) {
      throw invalid(name, text, "seconds from " + min + " to " + max);
    }
    return value;
  }

  /** Fails on an option that no getter asked for: a typo would otherwise pass unnoticed. */
  void requireAllRead() {
    for (String name : values.keySet()) {
      if (!read.contains(name)) {
        throw new IllegalArgumentException("unknown option --" + name);
      }
    }
  }

  private long longValue(String name, long defaultValue) {
    read.add(name);
    String text = values.get(name);
    if (text == null) {
      return defaultValue;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw invalid(name, text, "an integer");
    }
  }

  private static long parseBytes(String name, String text) {
    String upper = text.toUpperCase(Locale.ROOT);
    int shift =
        switch (upper.isEmpty() ? ' ' : upper.charAt(upper.length() - 1)) {
          case 'K' -> 10;
          case 'M' -> 20;
          case 'G' -> 30;
          case 'T' -> 40;
          default -> 0;
        };
    String digits = shift == 0 ? upper : upper.substring(0, upper.length() - 1);
    try {
      long number = Long.parseLong(digits);
      if (number < 0 || number > (Long.MAX_VALUE >> shift)) {
        throw invalid(name, text, "a size that fits in 63 bits");
      }
      return number << shift;
    } catch (NumberFormatException e) {
      throw invalid(name, text, "a size such as 4096, 64K, 512M or 2G");
    }
  }

  private static IllegalArgumentException invalid(String name, String text, String accepted) {
    return new IllegalArgumentException(
        "--" + name + " " + text + " is not valid; use " + accepted);
  }
}
