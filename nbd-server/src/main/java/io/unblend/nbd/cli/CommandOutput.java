package io.unblend.nbd.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/**
 * What a store command prints: for people, sentences and aligned tables; with {@code --json}, the
 * same results as one JSON document for scripts.
 */
final class CommandOutput {
  private final PrintWriter out;
  private final boolean json;

  CommandOutput(PrintWriter out, boolean json) {
    this.out = out;
    this.json = json;
  }

  /** A result that is one object: {@code lines} for people, {@code fields} for scripts. */
  void result(List<String> lines, Map<String, Object> fields) {
    if (json) {
      out.println(JsonOutput.of(fields));
    } else {
      lines.forEach(out::println);
    }
    out.flush();
  }

  /**
   * A list: a table of {@code cells} under {@code headers} for people, an array of {@code rows} for
   * scripts.
   */
  void table(List<String> headers, List<List<String>> cells, List<Map<String, Object>> rows) {
    if (json) {
      out.println(JsonOutput.of(rows));
      out.flush();
      return;
    }
    int[] widths = new int[headers.size()];
    for (int c = 0; c < widths.length; c++) {
      widths[c] = headers.get(c).length();
      for (List<String> row : cells) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    printRow(headers, widths);
    for (List<String> row : cells) {
      printRow(row, widths);
    }
    out.flush();
  }

  private void printRow(List<String> row, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < widths.length; c++) {
      line.append(row.get(c));
      if (c < widths.length - 1) {
        line.append(" ".repeat(widths[c] - row.get(c).length() + 2));
      }
    }
    out.println(line.toString().stripTrailing());
  }
}
