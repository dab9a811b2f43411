package io.unblend.nbd.cli;

import java.util.Locale;
import picocli.CommandLine;

/** Sizes as users write them: bytes, or with a K, M, G or T suffix (powers of two). */
public final class Sizes implements CommandLine.ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    return parse(value);
  }

  public static long parse(String value) {
    String text = value.trim().toUpperCase(Locale.ROOT);
    if (text.endsWith("IB")) {
      text = text.substring(0, text.length() - 2);
    } else if (text.endsWith("B")
        && text.length() > 1
        && !Character.isDigit(text.charAt(text.length() - 2))) {
      text = text.substring(0, text.length() - 1);
    }
    int shift = 0;
    if (!text.isEmpty()) {
      switch (text.charAt(text.length() - 1)) {
        case 'K' -> shift = 10;
        case 'M' -> shift = 20;
        case 'G' -> shift = 30;
        case 'T' -> shift = 40;
        default -> shift = 0;
      }
    }
    String digits = shift == 0 ? text : text.substring(0, text.length() - 1);
    try {
      long number = Long.parseLong(digits);
      if (number <= 0 || number > (Long.MAX_VALUE >> shift)) {
        throw new NumberFormatException();
      }
      return number << shift;
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException(
          "'"
              + value
              + "' is not a size; use a positive number of bytes or one with K, M, G or T (powers of two), e.g. 64G");
    }
  }

  /** A size for people: exact with K, M, G or T where it divides evenly, else to 0.1 of a unit. */
  public static String format(long bytes) {
    String[] units = {"", "K", "M", "G", "T"};
    for (int u = units.length - 1; u > 0; u--) {
      long unit = 1L << (10 * u);
      if (bytes >= unit) {
        return bytes % unit == 0
            ? (bytes / unit) + units[u]
            : String.format(java.util.Locale.ROOT, "%.1f%s", (double) bytes / unit, units[u]);
      }
    }
    return Long.toString(bytes);
  }
}
