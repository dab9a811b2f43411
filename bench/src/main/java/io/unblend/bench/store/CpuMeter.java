package io.unblend.bench.store;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of the storage thread, of each kind of Java thread and of the whole process over a timed
 * window (the JIT and GC threads count only in the process's). On a shared two-core machine
 * throughput swings with the neighbours' load; CPU time per operation does much less, and it says
 * which thread limits the rate.
 */
final class CpuMeter {
  private static final String STORAGE_THREAD_NAME = "unblend-storage";

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final com.sun.management.OperatingSystemMXBean system =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final long storageThreadId;
  private long storageStartNanos;
  private long processStartNanos;
  private long storageNanos;
  private long processNanos;
  private final Map<Long, Long> threadStartNanos = new HashMap<>();
  private final Map<String, Long> threadNanosByName = new TreeMap<>();

  CpuMeter() {
    long id = -1;
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().equals(STORAGE_THREAD_NAME)) {
        id = thread.threadId();
      }
    }
    storageThreadId = id;
  }

  void start() {
    for (long id : threads.getAllThreadIds()) {
      threadStartNanos.put(id, threads.getThreadCpuTime(id));
    }
    storageStartNanos = storageThreadNanos();
    processStartNanos = system.getProcessCpuTime();
  }

  void stop() {
    storageNanos = storageThreadNanos() - storageStartNanos;
    processNanos = system.getProcessCpuTime() - processStartNanos;
    for (long id : threads.getAllThreadIds()) {
      var info = threads.getThreadInfo(id);
      long nanos = threads.getThreadCpuTime(id);
      if (info == null || nanos < 0) {
        continue;
      }
      // Threads of one kind (load threads, compiler threads) are summed under one name.
      String name = info.getThreadName().replaceAll("[-#]?[0-9]+$", "");
      long used = nanos - threadStartNanos.getOrDefault(id, 0L);
      threadNanosByName.merge(name, used, Long::sum);
    }
  }

  /** CPU microseconds per operation of each kind of thread, largest first, for a log line. */
  String perThread(long operations) {
    StringBuilder line = new StringBuilder();
    threadNanosByName.entrySet().stream()
        .filter(entry -> entry.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(
            entry ->
                line.append(
                    String.format(
                        Locale.ROOT,
                        "%s%s=%.2f",
                        line.isEmpty() ? "" : " ",
                        entry.getKey().replace(' ', '_'),
                        entry.getValue() / 1e3 / Math.max(1, operations))));
    return line.toString();
  }

  /** CPU nanoseconds of the storage thread in the window; negative when it was not found. */
  long storageNanos() {
    return storageThreadId < 0 ? -1 : storageNanos;
  }

  long processNanos() {
    return processNanos;
  }

  private long storageThreadNanos() {
    return storageThreadId < 0 ? 0 : threads.getThreadCpuTime(storageThreadId);
  }
}
