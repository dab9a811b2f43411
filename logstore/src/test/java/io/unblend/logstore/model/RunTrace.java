package io.unblend.logstore.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * What a run did, one line per step as the run interpreted it (volume, sectors, generation), and
 * the failures that quote it. The store's log adds lines from its own threads.
 */
final class RunTrace {
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());

  void add(String line) {
    lines.add(line);
  }

  /** A failure naming the problem, then every line so far; for a hang, the store's threads too. */
  AssertionError failure(String problem, Throwable cause) {
    StringBuilder message = new StringBuilder(problem).append("\nthe run so far:");
    synchronized (lines) {
      for (int i = 0; i < lines.size(); i++) {
        message.append(String.format("%n%4d  %s", i, lines.get(i)));
      }
    }
    if (cause instanceof TimeoutException) {
      appendStoreThreads(message);
    }
    return new AssertionError(message.toString(), cause);
  }

  /**
   * Where the store's threads and the run's blocked calls are, for a store that stopped answering.
   */
  private static void appendStoreThreads(StringBuilder message) {
    Thread.getAllStackTraces()
        .forEach(
            (thread, stack) -> {
              if (thread.getName().startsWith("unblend-")
                  || thread.getName().startsWith(StoreWaits.THREAD_NAME)) {
                message.append(
                    String.format("%nthread %s (%s):", thread.getName(), thread.getState()));
                for (StackTraceElement frame : stack) {
                  message.append("\n    at ").append(frame);
                }
              }
            });
  }
}
